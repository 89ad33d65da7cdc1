#include "lmc/logger.h"

#include "lmc/base/log_sink.h"

namespace lmc {

bool Logger::Enabled(LogLevel level) const { return sink_->Enabled(level); }

void Logger::Log(LogLevel level, std::string_view message) const {
  sink_->Write(level, LogFields{request_id_, tenant_id_, trace_id_}, message);
}

void Logger::WriteRecord(std::string_view record) const { sink_->WriteRecord(record); }

}  // namespace lmc
