"""Runner loops."""
from .adversarial_loops import AdversarialTestLoop, AdversarialValLoop, adversarial_predictions
from .meta_test_loop import MetaTestLoop, MetaValLoop, episode_accuracy, extract_features
from .minibatch_replay_train_loop import MinibatchReplayTrainLoop

__all__ = ['AdversarialTestLoop', 'AdversarialValLoop', 'adversarial_predictions', 'MetaTestLoop', 'MetaValLoop',
           'MinibatchReplayTrainLoop', 'episode_accuracy', 'extract_features']
