// File: tools/emulator/internal/wire_format.h
//
// The bytes the emulator writes: status lines and header blocks of its replies, the /next reply
// that carries an event, Lambda-style JSON error bodies, the Extensions API bodies, request ids
// and trace ids. Pure functions that append to a caller's buffer (the server's per-connection
// output), so the hot path costs no temporaries and every format is unit-tested without sockets.
//
// Example:
//
//   std::string out;
//   AppendReply(out, 404, "application/json", LambdaErrorBody("NotFound", "no such endpoint"),
//               {}, {.keep_alive = true});
//   // out == "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
//   //        "Content-Length: 56\r\n\r\n{\"errorMessage\":...}"
//
// Thread-safe: no state.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "absl/time/time.h"
#include "tools/emulator/emulator.h"

namespace lmc::emulator::internal {

// Extra header fields of one reply, written in order after Content-Type and Content-Length.
using HeaderList = std::initializer_list<std::pair<std::string_view, std::string_view>>;

// How the connection that carries a reply continues after it.
struct ConnectionMode {
  // false: the reply says `Connection: close` (the server closes after writing it).
  bool keep_alive = true;
  // An HTTP/1.0 client keeps the connection only when told `Connection: keep-alive`.
  bool http10 = false;
};

// The reason phrase for `status` ("Not Found"); "Status" for codes the emulator never sends.
std::string_view ReasonPhrase(int status);

// Appends "name: value\r\n". The caller guarantees both are valid field text.
void AppendHeader(std::string& out, std::string_view name, std::string_view value);

// Appends a whole reply: status line, Content-Type (omitted when empty), Content-Length,
// `headers`, the Connection field `mode` calls for, the blank line and `body`.
void AppendReply(std::string& out, int status, std::string_view content_type, std::string_view body,
                 HeaderList headers, ConnectionMode mode);

// AppendReply() with run-time header fields (EmulatorOptions::extra_routes' replies).
void AppendReplyWithFields(std::string& out, int status, std::string_view content_type,
                           std::string_view body, const Fields& headers, ConnectionMode mode);

// {"errorMessage":message,"errorType":error_type}: the body of every Runtime API error reply.
std::string LambdaErrorBody(std::string_view error_type, std::string_view message);

// The per-invocation values of a /next reply that the server decides (ids, deadline, trace id);
// everything else comes from the EventSpec.
struct NextReplyIds {
  std::string_view request_id;
  std::string_view invocation_id;  // written only when EventSpec::send_invocation_id
  absl::Time deadline;             // written unless EventSpec::deadline_header replaces it
  // Used when EventSpec::send_trace_id is set and EventSpec::trace_id is not.
  std::string_view generated_trace_id;
};

// Appends the 200 reply of a /next that hands out `event`: Content-Type, Content-Length, the
// Lambda-Runtime-* headers in the order Lambda sends them, `event.extra_headers`, the Connection
// field `mode` calls for, then the body. `event.raw_response` is not consulted: the server writes
// those bytes itself.
void AppendNextReply(std::string& out, const EventSpec& event, const NextReplyIds& ids,
                     ConnectionMode mode);

// Appends the head of a 200 /next reply that promises a 1024-byte body and the first bytes of it
// (NextFault::truncate): the runtime must fail its read cleanly when the server then closes.
void AppendTruncatedNextReply(std::string& out, std::string_view request_id, absl::Time deadline);

// Decodes %XX escapes in a path segment; a malformed escape is kept literally.
std::string PercentDecode(std::string_view segment);

// A version 4 UUID ("xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx") from 128 random bits; the
// version and variant bits of `hi` and `lo` are overwritten.
std::string FormatUuidV4(uint64_t hi, uint64_t lo);

// An X-Ray trace id "Root=1-<8 hex: now's Unix seconds>-<24 hex>;Parent=<16 hex>;Sampled=0" from
// 160 random bits (`root_hi` contributes its low 32).
std::string FormatTraceId(absl::Time now, uint64_t root_hi, uint64_t root_lo, uint64_t parent);

// The Extensions API's SHUTDOWN event body:
// {"eventType":"SHUTDOWN","shutdownReason":reason,"deadlineMs":<deadline in Unix ms>}.
std::string ShutdownEventBody(std::string_view reason, absl::Time deadline);

// The body of an extension/register reply: functionName, functionVersion, handler and, when the
// extension asked for it in Lambda-Extension-Accept-Feature, a fixed accountId.
std::string ExtensionRegisterBody(const EmulatorOptions& options, bool with_account_id);

}  // namespace lmc::emulator::internal
