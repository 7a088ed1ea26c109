// `bytegrad soft-tokenizer train --model HOST_DIR [--config FILE] [--set KEY=VALUE ...]
//                                [--output DIR] [--resume RUN_DIR] [--report FILE]`
// Trains the soft byte-to-token encoder (nn/soft_encoder.h) to reproduce the input embeddings of
// the host model directory from its tokens' bytes, then plugs it into the host:
//   1. the encoder learns the training tokens (train/soft_encoder/encoder_trainer.h), printing
//      progress with an ETA and appending metrics.jsonl; it is evaluated by nearest-neighbour
//      accuracy on the training and the held-out tokens;
//   2. with a "host_data" section, the host's held-out loss is measured with its own table and
//      with the encoder's;
//   3. with finetune.steps, the encoder is fine-tuned through the host's language-model loss and
//      the host's held-out loss measured again.
// Writes OUTPUT/encoder (its own model directory), metrics.jsonl, loss.svg, config.json (the
// resolved config), checkpoint-N/ directories, encoder-finetuned/ (and host-finetuned/ when the
// host was trained too), and with --report a JSON object of the figures. --resume RUN_DIR
// continues a run from its newest checkpoint-N exactly as it would have gone on.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>

#include <nlohmann/json.hpp>

#include "autograd/grad_mode.h"
#include "io/atomic_file.h"
#include "io/json_file.h"
#include "io/model_directory.h"
#include "io/safetensors.h"
#include "io/soft_encoder_directory.h"
#include "tools/cmd_run_args.h"
#include "tools/command_specs.h"
#include "tools/commands.h"
#include "tensor/views.h"
#include "train/checkpoint.h"
#include "train/loss_plot.h"
#include "train/metrics.h"
#include "train/run_config.h"
#include "train/soft_encoder/soft_tokenizer_config.h"
#include "train/soft_encoder/token_encoding.h"
#include "train/training_checkpoint.h"

namespace bytegrad::tools {
namespace {

namespace fs = std::filesystem;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The encoder's config: the "encoder" section, sized to the host, reading at least the longest
// token (a larger encoder.max_bytes leaves room for longer out-of-vocabulary words).
nn::SoftEncoderConfig encoder_config(const train::SoftTokenizerConfig& config, int64_t output_size,
                                     int64_t max_bytes, const std::string& source) {
  nlohmann::json json = config.encoder;
  json["output_size"] = output_size;
  json["max_bytes"] = std::max<int64_t>(json.value("max_bytes", int64_t(0)), max_bytes);
  return nn::SoftEncoderConfig::from_json(json, source + " (encoder)");
}

// A checkpoint in the layout of training checkpoints (train/checkpoint.h): the encoder's weights,
// the optimizer's state, and in training_state.json the optimizer's step count, the trainer's
// state (train::EncoderTrainer::State: step, this epoch's token order, position, generator) and
// the resolved config, so that --resume continues exactly.
void save_encoder_checkpoint(const fs::path& directory, const nn::SoftByteEncoder& encoder,
                             const train::Optimizer& optimizer, const train::EncoderTrainer& trainer,
                             const nlohmann::json& resolved) {
  io::TensorMap weights, moments;
  for (const auto& [name, tensor] : encoder.state_dict()) weights[name] = tensor;
  for (const auto& [name, tensor] : optimizer.state()) moments[name] = tensor;
  const train::EncoderTrainer::State state = trainer.state();
  train::save_checkpoint(directory.string(), weights, moments,
                         {{"step", state.step},
                          {"optimizer_steps", optimizer.step_count()},
                          {"order", state.order},
                          {"position", state.position},
                          {"generator_seed", state.generator_seed},
                          {"generator_offset", state.generator_offset},
                          {"config", resolved}});
}

// Restores what save_encoder_checkpoint wrote; returns the step it was taken after.
int64_t load_encoder_checkpoint(const fs::path& directory, nn::SoftByteEncoder& encoder, train::Optimizer& optimizer,
                                train::EncoderTrainer& trainer) {
  const train::Checkpoint checkpoint = train::load_checkpoint(directory.string());
  const nlohmann::json& state = checkpoint.state;
  for (const char* key : {"step", "optimizer_steps", "position", "generator_seed", "generator_offset"})
    BYTEGRAD_CHECK(state.contains(key) && state[key].is_number_integer(), "resume: ", directory.string(),
                   "/training_state.json has no integer \"", key, "\" (not a soft encoder checkpoint?)");
  BYTEGRAD_CHECK(state.contains("order") && state["order"].is_array(), "resume: ", directory.string(),
                 "/training_state.json has no \"order\" list (not a soft encoder checkpoint?)");
  encoder.load_state_dict(checkpoint.model);
  {
    NoGradGuard no_grad;
    for (const auto& [name, tensor] : optimizer.state()) {
      const auto saved = checkpoint.optimizer.find(name);
      BYTEGRAD_CHECK(saved != checkpoint.optimizer.end() && saved->second.shape() == tensor.shape(), "resume: ",
                     directory.string(), ": the optimizer state has no ", name, " of shape ", shape_str(tensor.shape()));
      ops::copy_(tensor, saved->second);
    }
  }
  optimizer.set_step_count(state["optimizer_steps"].get<int64_t>());
  trainer.restore({state["step"].get<int64_t>(), state["order"].get<std::vector<int64_t>>(),
                   state["position"].get<int64_t>(), state["generator_seed"].get<uint64_t>(),
                   state["generator_offset"].get<uint64_t>()});
  return trainer.step();
}

// Keeps the lines of metrics.jsonl up to `step`, so that a resumed run does not log a step twice.
void cut_metrics(const fs::path& path, int64_t step) {
  std::ifstream in(path);
  std::string kept, line;
  while (std::getline(in, line)) {
    const nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
    if (!record.is_discarded() && record.value("step", int64_t(0)) <= step) kept += line + "\n";
  }
  io::write_file_atomically(path.string(), kept.data(), kept.size());
}

void print_evaluation(const char* when, const train::EncoderEvaluation& e) {
  std::printf("%s: nearest-neighbour accuracy %.4f on training tokens, %.4f on held-out tokens; held-out loss %.4f\n",
              when, e.nn_accuracy_train, e.nn_accuracy_heldout, e.heldout_loss);
  std::fflush(stdout);
}

int run_encoder_training(const Args& args) {
  const Options cli = parse_options(command_spec("soft-tokenizer train"), args);
  const auto wall_start = std::chrono::steady_clock::now();
  // A resumed run reads the config it saved (config.json in its output directory); --set still
  // overrides single keys.
  const std::optional<std::string> resume = cli.value("--resume");
  BYTEGRAD_CHECK(!(resume && cli.value("--config")), "soft-tokenizer train: --resume reads the run's own config.json; "
                 "give --set to change a key, not --config");
  const std::string config_source =
      resume ? (fs::path(*resume) / "config.json").string() : cli.value("--config").value_or("the default config");
  nlohmann::json resolved = resume || cli.value("--config") ? io::read_json(config_source) : nlohmann::json::object();
  train::apply_overrides(resolved, cli.values("--set"));
  if (resume) resolved["output_dir"] = *resume;
  if (cli.value("--output")) resolved["output_dir"] = *cli.value("--output");
  const train::SoftTokenizerConfig config = train::soft_tokenizer_config_from_json(resolved, config_source);

  const std::string host_dir = cli.get("--model");
  io::PretrainedModel host = io::load_pretrained_model(host_dir);
  BYTEGRAD_CHECK(host.tokenizer.has_value(), host_dir, ": the host directory has no tokenizer.json or tokenizer.model");
  host.model->eval();
  const Tensor table = train::host_input_table(*host.model, host_dir);
  const train::TokenDataset data = train::make_token_dataset(*host.tokenizer, table, config.data, host_dir);
  std::printf("host: %s, %lld tokens x hidden %lld; %zu training and %zu held-out tokens (%s, longest %lld bytes)\n",
              host_dir.c_str(), static_cast<long long>(table.size(0)), static_cast<long long>(table.size(1)),
              data.train_ids.size(), data.heldout_ids.size(), config.data.true_bytes ? "true bytes" : "raw pieces",
              static_cast<long long>(data.max_bytes));

  Generator generator(config.training.seed);
  nn::SoftByteEncoder encoder(encoder_config(config, table.size(1), data.max_bytes, config_source), generator);
  const std::unique_ptr<train::Optimizer> optimizer = train::make_optimizer(
      config.optimizer, encoder.named_parameters(), {"byte_embeddings.weight", "position_embeddings.weight"});
  std::printf("encoder: %lld layers, hidden %lld, %s positions, padding mask %s, %s projection, %.3fM parameters\n",
              static_cast<long long>(encoder.config().num_hidden_layers),
              static_cast<long long>(encoder.config().hidden_size),
              encoder.config().learned_positions ? "learned" : "no", encoder.config().padding_mask ? "on" : "off",
              encoder.config().projection.c_str(), double(encoder.parameter_count()) / 1e6);
  std::printf("training: %lld steps of %lld tokens, %s, peak lr %g, loss %g mse + %g cosine + %g contrastive\n",
              static_cast<long long>(config.training.steps), static_cast<long long>(config.training.batch_size),
              config.optimizer.name.c_str(), config.schedule.peak, config.loss.mse, config.loss.cosine,
              config.loss.contrastive);
  std::fflush(stdout);

  fs::create_directories(config.output_dir);
  io::write_json((config.output_dir / "config.json").string(), resolved);
  const fs::path metrics_path = config.output_dir / "metrics.jsonl";
  train::EncoderTrainer trainer(encoder, *optimizer, config.schedule, data, config.loss, config.training);
  int64_t first_step = 1;
  if (resume) {
    const fs::path checkpoint = train::resolve_checkpoint(*resume);
    first_step = load_encoder_checkpoint(checkpoint, encoder, *optimizer, trainer) + 1;
    cut_metrics(metrics_path, first_step - 1);
    std::printf("resumed from %s at step %lld\n", checkpoint.c_str(), static_cast<long long>(first_step - 1));
  }
  train::MetricsLog log(metrics_path, /*append=*/resume.has_value());
  const auto train_start = std::chrono::steady_clock::now();
  train::EncoderEvaluation evaluation;
  for (int64_t step = first_step; step <= config.training.steps; ++step) {
    train::MetricsRecord record = trainer.train_step();
    const bool last = step == config.training.steps;
    if (last || (config.eval_interval > 0 && step % config.eval_interval == 0)) {
      evaluation = trainer.evaluate();
      record.eval_loss = evaluation.heldout_loss;
    }
    log.write(record);
    if (step % config.log_interval == 0 || last || record.eval_loss) {
      const double eta =
          seconds_since(train_start) / double(step - first_step + 1) * double(config.training.steps - step);
      std::printf("step %5lld/%lld  loss %.4f", static_cast<long long>(step),
                  static_cast<long long>(config.training.steps), record.loss);
      if (record.eval_loss)
        std::printf("  held-out %.4f  nn acc train %.4f held-out %.4f", *record.eval_loss, evaluation.nn_accuracy_train,
                    evaluation.nn_accuracy_heldout);
      std::printf("  lr %.2e  grad norm %.3f  %.0f tok/s  ETA %s\n", record.lr, record.grad_norm,
                  record.tokens_per_second, format_duration(eta).c_str());
      std::fflush(stdout);
    }
    if (config.checkpoint_interval > 0 && step % config.checkpoint_interval == 0)
      save_encoder_checkpoint(config.output_dir / train::checkpoint_name(step), encoder, *optimizer, trainer, resolved);
  }
  const double training_seconds = seconds_since(train_start);
  const fs::path encoder_dir = config.output_dir / "encoder";
  io::save_soft_encoder(encoder_dir, encoder);
  std::ofstream(config.output_dir / "loss.svg")
      << train::loss_curve_svg(train::read_metrics(metrics_path), "bytegrad soft-tokenizer train: " + host_dir);
  print_evaluation("encoder", evaluation);

  nlohmann::json report = {{"host", host_dir},
                           {"nn_accuracy_train", evaluation.nn_accuracy_train},
                           {"nn_accuracy_heldout", evaluation.nn_accuracy_heldout},
                           {"encoder_heldout_loss", evaluation.heldout_loss},
                           {"train_tokens", data.train_ids.size()},
                           {"heldout_tokens", data.heldout_ids.size()},
                           {"encoder_parameters", encoder.parameter_count()},
                           {"training_steps", config.training.steps},
                           {"training_seconds", training_seconds}};
  if (config.host_data) {
    const train::HostText text = train::read_host_text(*config.host_data, *host.tokenizer, host_dir);
    const double own = train::host_heldout_loss(*host.model, table, text.eval, *config.host_data);
    const double soft = train::host_heldout_loss(
        *host.model, train::soft_input_table(encoder, data, config.rescale_norms), text.eval, *config.host_data);
    std::printf("host held-out loss: %.4f with its own embeddings, %.4f with the encoder's%s\n", own, soft,
                config.rescale_norms ? " (norms rescaled)" : "");
    report["host_loss_own_embeddings"] = own;
    report["host_loss_soft_embeddings"] = soft;
    if (config.finetune.steps > 0) {
      std::printf("fine-tuning the encoder through the host's loss (%s host): %lld steps of %lld x %lld tokens\n",
                  config.finetune.freeze_host ? "frozen" : "trained", static_cast<long long>(config.finetune.steps),
                  static_cast<long long>(config.host_data->batch_size),
                  static_cast<long long>(config.host_data->seq_len));
      std::fflush(stdout);
      const auto finetune_start = std::chrono::steady_clock::now();
      train::finetune_through_host(
          *host.model, encoder, data, text.train, *config.host_data, config.finetune,
          [&](const train::MetricsRecord& r, double eta) {
            if (r.step % config.log_interval != 0 && r.step != config.finetune.steps) return;
            std::printf("finetune %5lld/%lld  loss %.4f  lr %.2e  grad norm %.3f  %.0f tok/s  ETA %s\n",
                        static_cast<long long>(r.step), static_cast<long long>(config.finetune.steps), r.loss, r.lr,
                        r.grad_norm, r.tokens_per_second, format_duration(eta).c_str());
            std::fflush(stdout);
          });
      const double after = train::host_heldout_loss(
          *host.model, train::soft_input_table(encoder, data, config.rescale_norms), text.eval, *config.host_data);
      std::printf("host held-out loss after fine-tuning: %.4f\n", after);
      report["host_loss_after_finetune"] = after;
      if (!config.finetune.freeze_host) {
        // The trained host with its own (also trained) table: what the host alone gained.
        const double own_after = train::host_heldout_loss(*host.model, train::host_input_table(*host.model, host_dir),
                                                          text.eval, *config.host_data);
        std::printf("fine-tuned host with its own embeddings: %.4f\n", own_after);
        report["host_loss_own_after_finetune"] = own_after;
      }
      report["finetune_seconds"] = seconds_since(finetune_start);
      report["finetune_freeze_host"] = config.finetune.freeze_host;
      io::save_soft_encoder(config.output_dir / "encoder-finetuned", encoder);
      if (!config.finetune.freeze_host)
        io::save_pretrained_model(config.output_dir / "host-finetuned", *host.model, nullptr);
    }
  }
  report["wall_seconds"] = seconds_since(wall_start);
  if (cli.value("--report")) {
    io::write_json(*cli.value("--report"), report);
    std::printf("wrote %s\n", cli.value("--report")->c_str());
  }
  std::printf("training time %s, wall time %s; wrote %s, %s, %s\n", format_duration(training_seconds).c_str(),
              format_duration(seconds_since(wall_start)).c_str(), encoder_dir.c_str(), metrics_path.c_str(),
              (config.output_dir / "loss.svg").c_str());
  return 0;
}

}  // namespace

int run_soft_tokenizer(const Args& args) {
  if (!args.empty() && args[0] == "train") return run_encoder_training(Args(args.begin() + 1, args.end()));
  const std::string what = parse_options(command_spec("soft-tokenizer"), args).positional().value_or("");
  throw UsageError(concat("bytegrad soft-tokenizer: unknown action '", what, "' (available: train)"));
}

}  // namespace bytegrad::tools
