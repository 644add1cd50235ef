from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
MFA_REQUIRED_FOR_STAFF = env.bool("MFA_REQUIRED_FOR_STAFF", default=False)
