// File: lmc/status_macros.h
//
// LMC_RETURN_IF_ERROR and LMC_ASSIGN_OR_RETURN: early-return helpers for absl::Status and
// absl::StatusOr<T>. Debian 12 ships Abseil 20220623, which predates absl's own status macros,
// so lmc defines these two small ones.
//
// Example:
//
//   absl::StatusOr<Config> Load(const EnvMap& env) {
//     LMC_ASSIGN_OR_RETURN(int n, ParseConcurrency(env));
//     LMC_RETURN_IF_ERROR(CheckLimits(n));
//     return Config{n};
//   }
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define LMC_STATUS_MACROS_CONCAT_INNER_(x, y) x##y
#define LMC_STATUS_MACROS_CONCAT_(x, y) LMC_STATUS_MACROS_CONCAT_INNER_(x, y)

// Evaluates `expr` (an absl::Status); returns it from the enclosing function when not OK.
#define LMC_RETURN_IF_ERROR(expr)                                 \
  do {                                                            \
    if (::absl::Status lmc_status_ = (expr); !lmc_status_.ok()) { \
      return lmc_status_;                                         \
    }                                                             \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); returns its status when not OK, otherwise moves the
// value into `lhs`, which may be a declaration (`auto x`) or an existing variable.
#define LMC_ASSIGN_OR_RETURN(lhs, rexpr) \
  LMC_ASSIGN_OR_RETURN_IMPL_(LMC_STATUS_MACROS_CONCAT_(lmc_statusor_, __LINE__), lhs, rexpr)

// `lhs` cannot be parenthesised: it may be a declaration (`auto x`).
// NOLINTBEGIN(bugprone-macro-parentheses)
#define LMC_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                               \
  if (!statusor.ok()) {                                  \
    return std::move(statusor).status();                 \
  }                                                      \
  lhs = std::move(statusor).value()
// NOLINTEND(bugprone-macro-parentheses)
