// File: handlers/events/s3_event.h
//
// The event S3 event notifications deliver to a function: `Records[]`, one per object change.
// Object keys arrive URL-encoded (a space is "+"); DecodedKey() gives the real key.
//
// Example:
//
//   absl::StatusOr<lmc::events::S3Event> s3 = lmc::events::ParseS3Event(event);
//   for (const lmc::events::S3Record& record : s3->records) {
//     absl::StatusOr<std::string> key = record.DecodedKey();
//     Thumbnail(record.bucket_name, *key);
//   }
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lmc/event.h"

namespace lmc::events {

// S3Record
struct S3Record {
  std::string_view event_version;
  std::string_view event_source;  // "aws:s3"
  std::string_view aws_region;
  std::string_view event_time;         // ISO 8601
  std::string_view event_name;         // e.g. "ObjectCreated:Put"
  std::string_view principal_id;       // userIdentity.principalId
  std::string_view source_ip_address;  // requestParameters.sourceIPAddress
  std::string_view configuration_id;   // s3.configurationId
  std::string_view bucket_name;        // s3.bucket.name
  std::string_view bucket_arn;         // s3.bucket.arn
  std::string_view object_key;         // s3.object.key, URL-encoded as delivered
  int64_t object_size = 0;             // s3.object.size (0 for deletions)
  std::string_view object_etag;        // s3.object.eTag
  std::string_view object_version_id;  // s3.object.versionId
  std::string_view object_sequencer;   // s3.object.sequencer

  // The object key with URL encoding undone ("+" is a space, %XX a byte). InvalidArgument for a
  // malformed escape.
  absl::StatusOr<std::string> DecodedKey() const;
};

// S3Event
struct S3Event {
  std::vector<S3Record> records;
};

// ParseS3Event()
//
// Same contract as ParseSqsEvent(), for eventSource "aws:s3" records, each of which must name a
// bucket.
absl::StatusOr<S3Event> ParseS3Event(const lmc::Event& event);

}  // namespace lmc::events
