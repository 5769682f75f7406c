from backbone.serve import serve
from assessment.bootstrap import build
from assessment.config import AssessmentSettings

serve(build, AssessmentSettings())
