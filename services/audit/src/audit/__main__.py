from backbone.serve import serve
from audit.bootstrap import build
from audit.config import AuditSettings

serve(build, AuditSettings())
