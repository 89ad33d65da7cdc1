// lmc-inference-bench's BERT tables (see inference_bench_main.cc): a MiniLM-sized model in the
// Hugging Face layout (6 layers, hidden 384, 12 heads, intermediate 1536, 512 positions, a
// 30 522-token vocabulary; random weights), every text 128 tokens. One-text invocations through
// inference-bootstrap at N = 1, 16, 64 as a fraction of the machine's limit (as for the MLPs,
// C being the encoder in process at the batch reached), and lmc's CPU encoder in process next
// to the PyTorch peer on the same directory at batch 1, 16 and 64, alternated in one run, after
// a check that the two compute the same embeddings.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "bench/inference_bench.h"
#include "bench/runtime_rate.h"
#include "handlers/inference/bert_cpu_encoder.h"
#include "handlers/inference/bert_model.h"
#include "handlers/inference/bert_writer.h"
#include "lmc/json.h"
#include "tools/emulator/subprocess.h"

namespace lmc::bench {
namespace {

constexpr size_t kTokens = 128;
constexpr size_t kBatches[] = {1, 16, 64};

inference::BertSpec MiniLmSpec() {
  return {.layers = 6,
          .hidden = 384,
          .heads = 12,
          .intermediate = 1536,
          .max_positions = 512,
          .vocab_size = 30522};
}

// `count` texts of kTokens random ids (every id a real token to the forward pass).
inference::TokenBatch RandomTexts(size_t count, size_t vocab, uint64_t seed) {
  inference::TestRandom random(seed);
  inference::TokenBatch batch;
  std::vector<int32_t> ids(kTokens);
  for (size_t i = 0; i < count; ++i) {
    for (int32_t& id : ids) {
      const float u = (random.Next() + 1) / 2;  // [0, 1]
      id = static_cast<int32_t>(
          std::min(vocab - 1, static_cast<size_t>(u * static_cast<float>(vocab))));
    }
    batch.Add(ids);
  }
  return batch;
}

// Up to 16 one-text events, each a text the model's tokenizer makes exactly kTokens tokens of
// ([CLS], whole-word vocabulary entries, [SEP]); empty when the vocabulary cannot make one.
std::vector<std::string> OneTextEvents(const inference::BertModel& model,
                                       const std::vector<std::string>& vocab) {
  std::vector<std::string> words;
  for (const std::string& token : vocab) {
    if (token.size() >= 2 &&
        std::all_of(token.begin(), token.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
      words.push_back(token);
    }
  }
  std::vector<std::string> events;
  std::vector<int32_t> ids;
  for (size_t e = 0; e < 16 && !words.empty(); ++e) {
    std::string text;
    for (size_t w = 0; ids.size() < kTokens && w < 4 * kTokens; ++w) {
      const std::string candidate =
          absl::StrCat(text, text.empty() ? "" : " ", words[(e * 131 + w * 7) % words.size()]);
      model.tokenizer().Encode(candidate, 4 * kTokens, ids);
      if (ids.size() <= kTokens) text = candidate;
    }
    model.tokenizer().Encode(text, 4 * kTokens, ids);
    if (ids.size() != kTokens) return {};
    events.push_back(absl::StrCat(R"({"texts":[")", text, R"("]})"));
    ids.clear();
  }
  return events;
}

// One N's samples over the repetitions.
struct BertRow {
  std::vector<double> batched, mean_batch, c, f, limit, fraction, batched_cpu, ideal_cpu,
      cpu_fraction;
};

// One-text invocations at `n` (inference-bootstrap, batched by default) and the runtime's echo
// of the same events, against the encoder in process at the batch reached.
bool MeasureEndToEnd(const InferenceBenchOptions& options, const std::filesystem::path& model_dir,
                     int n, const std::vector<std::string>& events, inference::BertEncoder& encoder,
                     size_t vocab, BertRow& row) {
  const double seconds = std::max(3 * options.seconds, 3.0);
  const auto warmup = static_cast<uint64_t>(n) * 2 + 4;
  std::vector<std::string> env = {"_HANDLER=inference",
                                  absl::StrCat("LMC_MODEL=", model_dir.string()),
                                  "LMC_INFERENCE_DEVICE=cpu", "LMC_BATCH_METRICS_MS=500"};
  for (std::string& variable : OpenBlasEnvironment()) env.push_back(std::move(variable));
  const RuntimeRate batched = MeasureRuntimeRate(
      {.binary = options.bootstrap,
       .env = std::move(env),
       .concurrency = n,
       .events = events,
       .warmup = warmup,
       .seconds = seconds,
       // Batches of ~N texts take seconds here: time several whole ones, not a slice of one.
       .min_count = static_cast<uint64_t>(n) * 4 + 8});
  const RuntimeRate echo = MeasureRuntimeRate({.binary = options.echo,
                                               .env = {"_HANDLER=echo"},
                                               .concurrency = n,
                                               .events = events,
                                               .warmup = static_cast<uint64_t>(n) * 4 + 20,
                                               .seconds = options.seconds});
  if (!batched.ok || !echo.ok) {
    std::fprintf(stderr, "bert N=%d failed: %s %s\n", n, batched.error.c_str(), echo.error.c_str());
    return false;
  }
  const double mean = LastMetric(batched.logs, "inference batcher:", "total_mean_batch_size");
  const size_t batch = std::max<size_t>(1, static_cast<size_t>(std::lround(mean)));
  const inference::TokenBatch texts = RandomTexts(batch, vocab, batch + 1000);
  std::vector<float> embeddings;
  const Forward forward = MeasureForward(batch, [&] { (void)encoder.Encode(texts, embeddings); });
  const double limit = 1 / (1 / forward.rows_per_second + 1 / echo.per_second);
  const double batched_cpu = batched.cpu_us_per_invocation + batched.driver_cpu_us_per_invocation;
  const double ideal_cpu =
      forward.cpu_us_per_row + echo.cpu_us_per_invocation + echo.driver_cpu_us_per_invocation;
  row.batched.push_back(batched.per_second);
  row.mean_batch.push_back(mean);
  row.c.push_back(forward.rows_per_second);
  row.f.push_back(echo.per_second);
  row.limit.push_back(limit);
  row.fraction.push_back(batched.per_second / limit);
  row.batched_cpu.push_back(batched_cpu);
  row.ideal_cpu.push_back(ideal_cpu);
  row.cpu_fraction.push_back(ideal_cpu / batched_cpu);
  return true;
}

// Runs the peer's check: the embeddings PyTorch computes for `batch` against lmc's. Returns its
// "max_abs_diff=..." line, or why it did not run.
std::string CheckAgainstTorch(const InferenceBenchOptions& options,
                              const std::filesystem::path& dir, inference::BertEncoder& encoder,
                              const inference::TokenBatch& batch) {
  std::vector<float> embeddings;
  if (absl::Status ran = encoder.Encode(batch, embeddings); !ran.ok()) return ran.ToString();
  const size_t hidden = embeddings.size() / batch.size();
  std::string json;
  JsonWriter writer(&json);
  writer.BeginObject().Key("ids").BeginArray();
  for (size_t i = 0; i < batch.size(); ++i) {
    writer.BeginArray();
    for (size_t t = batch.offsets[i]; t < batch.offsets[i + 1]; ++t) writer.Int(batch.ids[t]);
    writer.EndArray();
  }
  writer.EndArray().Key("embeddings").BeginArray();
  for (size_t i = 0; i < batch.size(); ++i) {
    writer.BeginArray();
    for (size_t j = 0; j < hidden; ++j) writer.Double(embeddings[i * hidden + j]);
    writer.EndArray();
  }
  writer.EndArray().EndObject();
  const std::filesystem::path path = dir / "bert-check.json";
  if (absl::Status written = inference::WriteFile(path, json); !written.ok()) {
    return written.ToString();
  }
  emulator::Subprocess::Options spawn;
  spawn.argv = {options.python,          options.torch, "--bert",
                (dir / "bert").string(), "--check",     path.string()};
  spawn.merge_stderr = true;
  absl::StatusOr<std::unique_ptr<emulator::Subprocess>> child = emulator::Subprocess::Start(spawn);
  if (!child.ok()) return child.status().ToString();
  if (!(*child)->WaitForExit(absl::Minutes(5))) return "the check did not finish";
  const std::string out = (*child)->stdout_text();
  const size_t at = out.find("max_abs_diff=");
  if (at == std::string::npos) return out.substr(0, 300);
  return out.substr(at, out.find('\n', at) - at);
}

// lmc's encoder in process (texts/s and CPU us per text) and the PyTorch peer's texts/s, per
// batch size, over the repetitions.
struct InProcessSamples {
  std::map<size_t, std::vector<double>> lmc, lmc_cpu, torch;
  std::string torch_version;
};

void MeasureInProcess(inference::BertEncoder& encoder,
                      std::map<size_t, inference::TokenBatch>& texts, InProcessSamples& samples) {
  std::vector<float> embeddings;
  for (size_t batch : kBatches) {
    const Forward forward =
        MeasureForward(batch, [&] { (void)encoder.Encode(texts[batch], embeddings); });
    samples.lmc[batch].push_back(forward.rows_per_second);
    samples.lmc_cpu[batch].push_back(forward.cpu_us_per_row);
  }
}

void PrintEndToEnd(std::map<int, BertRow>& rows) {
  std::printf("one-text invocations through the runtime (texts/s):\n");
  std::printf("%-4s %-20s %-16s %-20s %-20s %-20s %-20s\n", "N", "batched inv/s", "mean batch",
              "C texts/s @batch", "F echo inv/s", "limit inv/s", "fraction");
  for (int n : kConcurrencies) {
    const BertRow& row = rows[n];
    std::printf("%-4d %-20s %-16s %-20s %-20s %-20s %-20s\n", n,
                Show(SpreadOf(row.batched), 1).c_str(), Show(SpreadOf(row.mean_batch), 1).c_str(),
                Show(SpreadOf(row.c), 1).c_str(), Show(SpreadOf(row.f)).c_str(),
                Show(SpreadOf(row.limit), 1).c_str(), Show(SpreadOf(row.fraction), 3).c_str());
  }
  std::printf("CPU per invocation, bootstrap + emulator (us):\n");
  std::printf("%-4s %-20s %-28s %-20s\n", "N", "batched", "C per text + F echo", "CPU fraction");
  for (int n : kConcurrencies) {
    const BertRow& row = rows[n];
    std::printf("%-4d %-20s %-28s %-20s\n", n, Show(SpreadOf(row.batched_cpu)).c_str(),
                Show(SpreadOf(row.ideal_cpu)).c_str(), Show(SpreadOf(row.cpu_fraction), 3).c_str());
  }
}

void PrintInProcess(const InferenceBenchOptions& options, InProcessSamples& samples,
                    std::map<int, BertRow>& rows) {
  std::printf("in process vs PyTorch, same weights, same batch of %zu-token texts:\n", kTokens);
  std::printf("%-6s %-20s %-18s %-20s %-12s %-20s %-12s\n", "batch", "lmc texts/s",
              "lmc CPU us/text", "torch texts/s", "lmc/torch", "lmc e2e at N=batch", "e2e/torch");
  for (size_t batch : kBatches) {
    const Spread lmc = SpreadOf(samples.lmc[batch]);
    const Spread torch = SpreadOf(samples.torch[batch]);
    const Spread e2e = SpreadOf(rows[static_cast<int>(batch)].batched);
    std::printf("%-6zu %-20s %-18s %-20s %-12s %-20s %-12s\n", batch, Show(lmc, 1).c_str(),
                Show(SpreadOf(samples.lmc_cpu[batch])).c_str(), Show(torch, 1).c_str(),
                Show({lmc.median / torch.median, NAN, NAN}, 2).c_str(), Show(e2e, 1).c_str(),
                Show({e2e.median / torch.median, NAN, NAN}, 2).c_str());
  }
  if (options.torch.empty()) return;
  bool ran = false;
  for (const auto& [batch, rates] : samples.torch) ran |= !rates.empty();
  if (!ran) {
    std::printf("PyTorch peer: did not run (%s %s): %s\n", options.python.c_str(),
                options.torch.c_str(), samples.torch_version.c_str());
  } else {
    std::printf("(torch %s)\n", samples.torch_version.c_str());
  }
}

}  // namespace

int BenchBert(const InferenceBenchOptions& options, const std::filesystem::path& dir) {
  const inference::BertSpec spec = MiniLmSpec();
  if (absl::Status written = inference::WriteBertDirectory(dir / "bert", spec); !written.ok()) {
    std::fprintf(stderr, "%s\n", written.ToString().c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<inference::BertModel>> model =
      inference::BertModel::Load(dir / "bert");
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", model.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<inference::BertEncoder> encoder =
      inference::CreateCpuBertEncoder(**model, {.normalize = true});
  const size_t vocab = (*model)->vocab_rows();
  std::map<size_t, inference::TokenBatch> texts;
  for (size_t batch : kBatches) texts[batch] = RandomTexts(batch, vocab, batch);
  const std::vector<std::string> events = OneTextEvents(**model, inference::BertVocabulary(spec));
  if (events.empty()) {
    std::fprintf(stderr, "no %zu-token text from the vocabulary\n", kTokens);
    return 1;
  }

  std::printf(
      "\nbert MiniLM-sized (6 layers, hidden 384, 12 heads, intermediate 1536; random "
      "weights), %zu-token texts, CPU; %d run%s\n",
      kTokens, options.repeat, options.repeat > 1 ? "s" : "");
  if (options.torch.empty()) {
    std::printf("(no PyTorch peer: --no-torch)\n");
  } else {
    std::printf("same embeddings as PyTorch: %s\n",
                CheckAgainstTorch(options, dir, *encoder, RandomTexts(3, vocab, 99)).c_str());
  }
  std::map<int, BertRow> rows;
  InProcessSamples samples;
  int failed = 0;
  for (int rep = 0; rep < options.repeat; ++rep) {
    for (int n : kConcurrencies) {
      if (!MeasureEndToEnd(options, dir / "bert", n, events, *encoder, vocab, rows[n])) failed = 1;
    }
    // lmc in process, PyTorch, lmc again: the two share the same minutes.
    MeasureInProcess(*encoder, texts, samples);
    if (!options.torch.empty()) {
      const std::vector<std::string> args = {"--bert", (dir / "bert").string(), "--tokens",
                                             std::to_string(kTokens)};
      for (const auto& [batch, rate] :
           RunTorchPeer(options, args, "bert", &samples.torch_version)) {
        samples.torch[batch].push_back(rate);
      }
      MeasureInProcess(*encoder, texts, samples);
    }
  }
  PrintEndToEnd(rows);
  PrintInProcess(options, samples, rows);
  return failed;
}

}  // namespace lmc::bench
