from backbone.serve import serve
from notifications.bootstrap import build
from notifications.config import NotificationsSettings

serve(build, NotificationsSettings())
