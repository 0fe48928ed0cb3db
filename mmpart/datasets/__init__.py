"""Datasets (PIN++, PartImageNet), their transforms, and the release converters."""
from .partimagenet import *  # noqa: F401,F403
from .partimagenet_cls import *  # noqa: F401,F403
from .per_class_subset import *  # noqa: F401,F403
from .pinpp import *  # noqa: F401,F403
from .robustness import *  # noqa: F401,F403
from .samplers import *  # noqa: F401,F403
from .transforms import *  # noqa: F401,F403
