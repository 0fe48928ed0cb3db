# MPM ResNet-50 (GELU), stage 2 with the paper-exact dense part loss (every pixel of every scale):
#   tools/dist_train.sh configs/mpm/mpm_r50_dense.py 8
# configs/mpm/mpm_r50.py, the recipe, evaluates the part loss at pixels drawn uniformly at random, an
# unbiased estimate of this loss at a fraction of its cost (README, Benchmarks).
_base_ = './mpm_r50.py'
model = dict(part_head=dict(num_points=None))
