#!/usr/bin/env bash
# Shared by tools/dist_*.sh: run SCRIPT on NPROC processes per node with torchrun and --launcher pytorch.
#   tools/misc/torchrun.sh SCRIPT NPROC [script args]
# Environment: NNODES, NODE_RANK, PORT, MASTER_ADDR, PYTHON (default: see tools/misc/python.sh).
# With no GPU the processes use the CPU (gloo).
SCRIPT=$1
NPROC=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
source "$(dirname "$0")/python.sh"

PYTHONPATH="$(dirname "$0")/../..":$PYTHONPATH \
exec "$MMPART_PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROC" --master_port="$PORT" \
    "$SCRIPT" "${@:3}" --launcher pytorch
