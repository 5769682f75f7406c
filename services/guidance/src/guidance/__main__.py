from backbone.serve import serve
from guidance.bootstrap import build
from guidance.config import GuidanceSettings

serve(build, GuidanceSettings())
