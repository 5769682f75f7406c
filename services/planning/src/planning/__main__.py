from backbone.serve import serve
from planning.bootstrap import build
from planning.config import PlanningSettings

serve(build, PlanningSettings())
