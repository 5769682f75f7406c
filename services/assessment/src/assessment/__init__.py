"""Assessment: assessments of competence and service needs, initial interviews and their deadlines."""
