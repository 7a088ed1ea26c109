#!/usr/bin/env bash
# `bytegrad train` on 2 ranks x batch 2 takes the steps of 1 process x batch 4 (losses and final
# weights within 1e-5 relative), replicated (ZeRO stage 0), with sharded optimizer state (stage 1)
# and with sharded parameters (stage 3); rank 0 alone prints and writes the run directory; a run checkpointed on 2 ranks
# resumes on 1, and one checkpointed on 1 resumes on 2, to the same end. `bytegrad sft` on 2 ranks
# fine-tunes as on 1 with the whole batch.
#   train_cli_test.sh MPIRUN_SH MPIRUN BYTEGRAD SCRATCH [EXTRA --set ...]
set -euo pipefail
mpirun_sh=$1 mpirun=$2 bytegrad=$3 scratch=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$scratch" && mkdir -p "$scratch" && cd "$scratch"
words=(the cat sat on a mat and dog ran far away home)
for d in $(seq 0 79); do
  [ "$d" -gt 0 ] && printf '\n%%\n'
  for w in $(seq 0 19); do printf '%s ' "${words[$(( (d * 7 + w * (d % 5 + 1)) % 12 ))]}"; done
done > corpus.txt

tiny=(--config "$here/../../configs/fortunes-llama.json" --set 'data.paths=["corpus.txt"]' --set data.bpe_vocab_size=300
      --set model.hidden_size=16 --set model.num_hidden_layers=2 --set model.num_attention_heads=2
      --set model.num_key_value_heads=1 --set model.intermediate_size=32 --set training.steps=8
      --set training.seq_len=16 --set training.log_interval=1 --set training.grad_accum_steps=2
      --set checkpoint.interval=4 --set eval.interval=4 --set eval.batches=2 --set sample.interval=0
      --set sample.tokens=4 --set distributed.bucket_mb=0.001 "$@")

OMP_NUM_THREADS=1 "$bytegrad" train "${tiny[@]}" --set training.batch_size=4 --set output_dir=one > one.log
for stage in 0 1 3; do
  two=two-zero$stage
  bash "$mpirun_sh" "$mpirun" 2 "$bytegrad" train "${tiny[@]}" --set training.batch_size=2 \
    --set distributed.zero_stage=$stage --set output_dir=$two > $two.log
  grep -q "data parallel: 2 ranks x batch 2 = 4 sequences\|ZeRO-3: 2 ranks x batch 2" $two.log
  [ "$(grep -c '^step ' $two.log)" -eq 8 ] || { echo "rank 0 alone should print the 8 progress lines"; cat $two.log; exit 1; }
  grep "^rank . holds" $two.log
  python3 "$here/compare_runs.py" one $two

  # Resumed on one rank from the 2-rank run's consolidated checkpoint at step 4: the same end.
  rm -rf $two/checkpoint-8 $two/model
  OMP_NUM_THREADS=1 "$bytegrad" train --resume $two/checkpoint-4 --set training.batch_size=4 > $two-resumed.log
  grep -q "resumed from $two/checkpoint-4 at step 4" $two-resumed.log
  python3 "$here/compare_runs.py" $two one
done

# A 1-rank checkpoint resumed on 2 ranks, sharded (ZeRO-1 and ZeRO-3): the same end again.
OMP_NUM_THREADS=1 "$bytegrad" train "${tiny[@]}" --set training.batch_size=4 --set output_dir=grow > grow.log
rm -rf grow/checkpoint-8 grow/model
for stage in 1 3; do
  cp -r grow grow-zero$stage
  bash "$mpirun_sh" "$mpirun" 2 "$bytegrad" train --resume grow-zero$stage/checkpoint-4 --set training.batch_size=2 \
    --set distributed.zero_stage=$stage > grow-zero$stage-resumed.log
  python3 "$here/compare_runs.py" grow-zero$stage one
done

# `bytegrad sft` from the trained model: 2 ranks x 4 examples fine-tune as 1 x 8 (the ranks'
# responses differ in length; their losses are weighted by response tokens).
"$bytegrad" sft-data --task addition --out sft-data --train 64 --eval 8 > sft-data.log
sft=(--config "$here/../../configs/sft-addition.json" --set model=one/model --set data.train=sft-data/train.jsonl
     --set data.eval=sft-data/eval.jsonl --set training.steps=6 --set training.log_interval=1
     --set training.grad_accum_steps=2 --set eval.interval=0 --set eval.examples=4 --set schedule.warmup_steps=2)
OMP_NUM_THREADS=1 "$bytegrad" sft "${sft[@]}" --set training.batch_size=8 --set output_dir=sft-one > sft-one.log
bash "$mpirun_sh" "$mpirun" 2 "$bytegrad" sft "${sft[@]}" --set training.batch_size=4 --set output_dir=sft-two > sft-two.log
grep -q "data parallel: 2 ranks x batch 4" sft-two.log
python3 "$here/compare_runs.py" sft-one sft-two
