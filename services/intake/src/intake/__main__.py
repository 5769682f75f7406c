from backbone.serve import serve
from intake.bootstrap import build
from intake.config import IntakeSettings

serve(build, IntakeSettings())
