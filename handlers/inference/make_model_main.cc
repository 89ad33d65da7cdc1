// lmc-make-model: writes a test model (known weights from a seeded sequence; see
// safetensors_writer.h and bert_writer.h) for the tests, the demo and the benchmarks.
//
//   lmc-make-model --out mlp.safetensors --kind mlp --widths 64,256,16 [--activation relu|gelu]
//                  [--head none|softmax] [--dtype F32|F16|BF16] [--seed N]
//   lmc-make-model --out emb.safetensors --kind embedding --rows 100000 --dim 128 [--dtype ..]
//   lmc-make-model --out DIR --kind bert [--layers 6] [--hidden 384] [--heads 12]
//                  [--intermediate 1536] [--positions 512] [--vocab 30522] [--pooling mean|cls]
//                  [--prefix bert|none] [--dtype ..] [--seed N]
//
// --kind bert writes a sentence-embedding model in the Hugging Face layout (config.json,
// model.safetensors, tokenizer.json with a generated WordPiece vocabulary, 1_Pooling), MiniLM-sized
// by default, with random weights: its embeddings exercise the machinery, they mean nothing.
//
// Exit status: 0 written, 1 I/O error, 2 bad usage.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "handlers/inference/bert_writer.h"
#include "handlers/inference/safetensors_writer.h"

namespace {

int Usage(std::string_view problem) {
  std::fprintf(stderr,
               "lmc-make-model: %.*s\nusage: lmc-make-model --out PATH --kind mlp --widths "
               "IN,HIDDEN...,OUT [--activation relu|gelu] [--head none|softmax] [--dtype "
               "F32|F16|BF16] [--seed N]\n       lmc-make-model --out PATH --kind embedding "
               "--rows N --dim D [--dtype F32|F16|BF16] [--seed N]\n       lmc-make-model --out "
               "DIR --kind bert [--layers 6] [--hidden 384] [--heads 12] [--intermediate 1536] "
               "[--positions 512] [--vocab 30522] [--pooling mean|cls] [--prefix bert|none] "
               "[--dtype ..] [--seed N]\n",
               static_cast<int>(problem.size()), problem.data());
  return 2;
}

bool ParsePositive(std::string_view text, int64_t& value) {
  return absl::SimpleAtoi(absl::string_view(text.data(), text.size()), &value) && value > 0;
}

// --kind bert: a directory, not a file.
template <typename Get>
int WriteBert(const std::string& out, const Get& get, lmc::inference::DType dtype, uint64_t seed) {
  lmc::inference::BertSpec spec{.dtype = dtype, .seed = seed};
  for (const auto& [flag, value, fallback] :
       {std::tuple{"layers", &spec.layers, "6"}, std::tuple{"hidden", &spec.hidden, "384"},
        std::tuple{"heads", &spec.heads, "12"},
        std::tuple{"intermediate", &spec.intermediate, "1536"},
        std::tuple{"positions", &spec.max_positions, "512"},
        std::tuple{"vocab", &spec.vocab_size, "30522"}}) {
    if (!ParsePositive(get(flag, fallback), *value)) {
      return Usage(absl::StrCat("--", flag, " is a positive integer"));
    }
  }
  if (spec.hidden % spec.heads != 0) return Usage("--heads must divide --hidden");
  if (spec.max_positions < 2) return Usage("--positions must be at least 2 ([CLS] and [SEP])");
  spec.pooling = get("pooling", "mean");
  if (spec.pooling != "mean" && spec.pooling != "cls") return Usage("--pooling is mean or cls");
  const std::string prefix = get("prefix", "bert");
  if (prefix != "bert" && prefix != "none") return Usage("--prefix is bert or none");
  spec.bert_prefix = prefix == "bert";
  const absl::Status written = lmc::inference::WriteBertDirectory(out, spec);
  if (!written.ok()) {
    std::fprintf(stderr, "lmc-make-model: %s\n", written.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string, std::less<>> flags;
  for (int i = 1; i < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag.substr(0, 2) != "--" || i + 1 >= argc) return Usage("flags come as --name value");
    flags[std::string(flag.substr(2))] = argv[i + 1];
  }
  const auto get = [&flags](std::string_view name, std::string_view fallback) {
    const auto it = flags.find(name);
    return it == flags.end() ? std::string(fallback) : it->second;
  };
  const std::string out = get("out", "");
  if (out.empty()) return Usage("--out is required");

  lmc::inference::DType dtype = lmc::inference::DType::kF32;
  const std::string dtype_name = get("dtype", "F32");
  if (dtype_name == "F16") {
    dtype = lmc::inference::DType::kF16;
  } else if (dtype_name == "BF16") {
    dtype = lmc::inference::DType::kBF16;
  } else if (dtype_name != "F32") {
    return Usage("--dtype is F32, F16 or BF16");
  }
  int64_t seed = 1;
  if (!ParsePositive(get("seed", "1"), seed)) return Usage("--seed is a positive integer");

  lmc::inference::ModelToWrite model;
  const std::string kind = get("kind", "");
  if (kind == "mlp") {
    lmc::inference::MlpSpec spec;
    for (absl::string_view part : absl::StrSplit(get("widths", ""), ',')) {
      int64_t width = 0;
      if (!ParsePositive(std::string_view(part.data(), part.size()), width)) {
        return Usage("--widths is a comma-separated list of positive integers");
      }
      spec.widths.push_back(width);
    }
    if (spec.widths.size() < 2) return Usage("--widths needs at least an input and an output");
    spec.activation = get("activation", "relu");
    spec.head = get("head", "none");
    spec.dtype = dtype;
    spec.seed = static_cast<uint64_t>(seed);
    model = lmc::inference::MakeMlp(spec);
  } else if (kind == "embedding") {
    lmc::inference::EmbeddingSpec spec;
    if (!ParsePositive(get("rows", ""), spec.rows) || !ParsePositive(get("dim", ""), spec.dim)) {
      return Usage("--rows and --dim are positive integers");
    }
    spec.dtype = dtype;
    spec.seed = static_cast<uint64_t>(seed);
    model = lmc::inference::MakeEmbeddings(spec);
  } else if (kind == "bert") {
    return WriteBert(out, get, dtype, static_cast<uint64_t>(seed));
  } else {
    return Usage("--kind is mlp, embedding or bert");
  }
  const absl::Status written =
      lmc::inference::WriteFile(out, lmc::inference::WriteSafetensors(model));
  if (!written.ok()) {
    std::fprintf(stderr, "lmc-make-model: %s\n", written.ToString().c_str());
    return 1;
  }
  return 0;
}
