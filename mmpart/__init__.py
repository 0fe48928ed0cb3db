"""mmpart: part-based robust image recognition on the OpenMMLab stack."""
import warnings

from .utils.atomic_file_backend import install_atomic_file_backend
from .utils.checkpoint_safety import install_checkpoint_safety
from .version import __version__

# mmengine checkpoints must load under torch's weights_only=True: allow exactly their globals.
install_checkpoint_safety()
# a killed run leaves a checkpoint complete or absent, never half-written
install_atomic_file_backend()

# mmseg imports timm when it is installed, whose hrnet calls the deprecated torch.jit.interface at import: a
# warning about a dependency's import that every tool would print first
warnings.filterwarnings('ignore', message=r'`torch\.jit\.interface` is deprecated', category=FutureWarning)

__all__ = ['__version__']
