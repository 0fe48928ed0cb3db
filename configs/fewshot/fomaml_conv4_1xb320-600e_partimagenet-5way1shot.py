# First-order MAML (FOMAML, Finn et al. 2017 §5.2): maml_conv4_1xb320-600e_partimagenet-5way1shot.py without the
# second-order terms (the inner-loop gradients are constants for the meta-gradient).
_base_ = './maml_conv4_1xb320-600e_partimagenet-5way1shot.py'

model = dict(head=dict(first_order=True))
