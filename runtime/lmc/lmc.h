// File: lmc/lmc.h
//
// Everything a handler author needs, in one include: Run(), HandlerRegistry, Handler, Event,
// Context, Response/Error/Result, Logger and response streaming (ResponseStream,
// StreamingHandler). See lmc/runtime.h for a complete example.
#pragma once

#include "lmc/context.h"          // IWYU pragma: export
#include "lmc/event.h"            // IWYU pragma: export
#include "lmc/handler.h"          // IWYU pragma: export
#include "lmc/logger.h"           // IWYU pragma: export
#include "lmc/registry.h"         // IWYU pragma: export
#include "lmc/response_stream.h"  // IWYU pragma: export
#include "lmc/runtime.h"          // IWYU pragma: export
