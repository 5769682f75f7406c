"""`python -m planning` serves planning; `python -m planning rebuild --into SCHEMA` rebuilds its read models
from the events into a new schema (`service_layer.projection`)."""

import sys

from backbone.serve import serve
from planning.bootstrap import build
from planning.config import PlanningSettings

if len(sys.argv) > 1 and sys.argv[1] == "rebuild":
    from planning.service_layer import projection

    sys.exit(projection.command(sys.argv[2:], PlanningSettings()))
serve(build, PlanningSettings())
