// File: bench/inference_bench_search.h
//
// BenchSearch(): lmc-inference-bench's search table: exact cosine search over 100 000 x 128
// embeddings in process, queries/s at query batches of 1, 16 and 64, the CPU backend next to
// FAISS IndexFlatIP (same normalised data, same queries, same k) when lmc was built with FAISS.
//
// Example:
//
//   int failed = lmc::bench::BenchSearch(/*scale=*/1.0, scratch_dir);
#pragma once

#include <filesystem>

namespace lmc::bench {

// Prints the table; `scale` multiplies the number of queries (512 at 1.0). The model file is
// written under `dir`. Returns 0, or 1 when the model cannot be written or loaded.
int BenchSearch(double scale, const std::filesystem::path& dir);

}  // namespace lmc::bench
