// lmc-inference-bench's BERT table (see inference_bench_main.cc): a MiniLM-sized model in the
// Hugging Face layout (6 layers, hidden 384, 12 heads, intermediate 1536, 512 positions, a
// 30 522-token vocabulary; random weights), every text 128 tokens: lmc's CPU encoder in process
// next to the PyTorch peer on the same directory at batch 1, 16 and 64, alternated in one run,
// after a check that the two compute the same embeddings.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "bench/inference_bench.h"
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

  std::printf(
      "\nbert MiniLM-sized (6 layers, hidden 384, 12 heads, intermediate 1536; random "
      "weights), %zu-token texts, CPU, in process; %d run%s\n",
      kTokens, options.repeat, options.repeat > 1 ? "s" : "");
  if (options.torch.empty()) {
    std::printf("(no PyTorch peer: --no-torch)\n");
  } else {
    std::printf("same embeddings as PyTorch: %s\n",
                CheckAgainstTorch(options, dir, *encoder, RandomTexts(3, vocab, 99)).c_str());
  }
  std::map<size_t, std::vector<double>> ours;
  std::map<size_t, std::vector<double>> ours_cpu;
  std::map<size_t, std::vector<double>> theirs;
  std::string version;
  std::vector<float> embeddings;
  const auto measure = [&] {
    for (size_t batch : kBatches) {
      const Forward forward =
          MeasureForward(batch, [&] { (void)encoder->Encode(texts[batch], embeddings); });
      ours[batch].push_back(forward.rows_per_second);
      ours_cpu[batch].push_back(forward.cpu_us_per_row);
    }
  };
  for (int rep = 0; rep < options.repeat; ++rep) {
    // lmc in process, PyTorch, lmc again: the two share the same minutes.
    measure();
    if (!options.torch.empty()) {
      const std::vector<std::string> args = {"--bert", (dir / "bert").string(), "--tokens",
                                             std::to_string(kTokens)};
      for (const auto& [batch, rate] : RunTorchPeer(options, args, "bert", &version)) {
        theirs[batch].push_back(rate);
      }
      measure();
    }
  }
  std::printf("%-6s %-22s %-18s %-22s %-12s\n", "batch", "lmc texts/s", "lmc CPU us/text",
              "torch texts/s", "lmc/torch");
  for (size_t batch : kBatches) {
    const Spread lmc = SpreadOf(ours[batch]);
    const Spread torch = SpreadOf(theirs[batch]);
    std::printf("%-6zu %-22s %-18s %-22s %-12s\n", batch, Show(lmc).c_str(),
                Show(SpreadOf(ours_cpu[batch])).c_str(), Show(torch).c_str(),
                Show({lmc.median / torch.median, NAN, NAN}, 2).c_str());
  }
  if (!options.torch.empty() && theirs.empty()) {
    std::printf("PyTorch peer: did not run (%s %s): %s\n", options.python.c_str(),
                options.torch.c_str(), version.c_str());
  } else if (!options.torch.empty()) {
    std::printf("(torch %s)\n", version.c_str());
  }
  return 0;
}

}  // namespace lmc::bench
