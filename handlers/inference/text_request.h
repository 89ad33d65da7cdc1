// File: handlers/inference/text_request.h
//
// The wire format of sentence-embedding models (BERT, bert_model.h): parsing an event's texts
// straight into token ids (on the invocation's thread, so tokenizing runs in parallel across
// invocations) and writing the answer.
//
//   {"texts":["...", ...]}  ->  {"embeddings":[[...], ...], "tokens":[n, ...]}
//
// "tokens" counts each text's tokens after truncation to the model's positions, [CLS] and [SEP]
// included. Other fields of the event are ignored.
//
// Example:
//
//   absl::StatusOr<lmc::inference::TextRequest> request =
//       lmc::inference::ParseTextRequest(event, model.tokenizer(), 512, 256);
//   if (!request.ok()) return lmc::Error("Inference.InvalidInput", ...);
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "handlers/inference/bert_encoder.h"
#include "handlers/inference/wordpiece_tokenizer.h"
#include "lmc/event.h"

namespace lmc::inference {

// TextRequest
//
// One invocation's texts as token sequences, in the event's order.
struct TextRequest {
  TokenBatch tokens;
};

// Parses and tokenizes `event`: each text becomes at most `max_tokens` ids (special tokens
// included). InvalidArgument saying what is wrong for: an event that is not a JSON object; no
// "texts"; "texts" not an array, empty, or longer than `max_texts` (the message names
// LMC_EMBEDDING_MAX_TEXTS); an element that is not a string. Must be called on the invocation's
// thread (Event::Json()).
absl::StatusOr<TextRequest> ParseTextRequest(const Event& event,
                                             const WordPieceTokenizer& tokenizer, size_t max_tokens,
                                             size_t max_texts);

// The answer: request.tokens.size() embeddings of `width` values (row-major in `embeddings`),
// each number in the shortest form that reads back as the same float, and the token counts.
std::string FormatEmbeddings(const TextRequest& request, const std::vector<float>& embeddings,
                             size_t width);

}  // namespace lmc::inference
