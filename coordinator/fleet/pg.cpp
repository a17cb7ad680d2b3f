#include "coordinator/fleet/pg.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>

namespace dbg::coord::fleet {

namespace {

std::string trimmed(const char* message) {
  std::string out = message ? message : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// libpq takes "connect_timeout" in both forms; added only when the operator did not set one.
std::string with_timeout(const std::string& conninfo, int seconds) {
  if (conninfo.find("connect_timeout") != std::string::npos) return conninfo;
  const bool url = conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://");
  if (!url) return conninfo + " connect_timeout=" + std::to_string(seconds);
  return conninfo + (conninfo.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=" + std::to_string(seconds);
}

}  // namespace

void PgResult::Clear::operator()(pg_result* r) const { PQclear(r); }
int PgResult::rows() const { return r_ ? PQntuples(r_.get()) : 0; }
int PgResult::columns() const { return r_ ? PQnfields(r_.get()) : 0; }
bool PgResult::is_null(int row, int column) const { return PQgetisnull(r_.get(), row, column) != 0; }
std::string_view PgResult::text(int row, int column) const {
  if (is_null(row, column)) return {};
  return {PQgetvalue(r_.get(), row, column), static_cast<std::size_t>(PQgetlength(r_.get(), row, column))};
}
int64_t PgResult::integer(int row, int column) const {
  auto t = text(row, column);
  int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}
double PgResult::number(int row, int column) const {
  auto t = text(row, column);
  return t.empty() ? 0.0 : std::strtod(std::string(t).c_str(), nullptr);
}
bool PgResult::boolean(int row, int column) const { return text(row, column) == "t"; }
int64_t PgResult::affected() const {
  const char* n = r_ ? PQcmdTuples(r_.get()) : "";
  return n && *n ? std::strtoll(n, nullptr, 10) : 0;
}

PgConnection::PgConnection(const std::string& conninfo, int connect_timeout_s) {
  conn_ = PQconnectdb(with_timeout(conninfo, connect_timeout_s).c_str());
  if (conn_ == nullptr) throw PgError("out of memory connecting to PostgreSQL");
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string message = trimmed(PQerrorMessage(conn_));
    PQfinish(conn_);
    conn_ = nullptr;
    throw PgError(message.empty() ? "cannot connect to PostgreSQL" : message);
  }
  // Our notices (e.g. "relation already exists, skipping") are not the operator's business.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
}

PgConnection::~PgConnection() {
  if (conn_) PQfinish(conn_);
}

namespace {

// Throws unless the command succeeded; the message is the server's (or libpq's), with its SQLSTATE.
void check_result(pg_conn* conn, pg_result* raw) {
  const ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
  std::string message = trimmed(raw ? PQresultErrorMessage(raw) : PQerrorMessage(conn));
  const char* state = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
  if (message.empty()) message = "PostgreSQL command failed";
  throw PgError(message, state ? state : "");
}

}  // namespace

PgResult PgConnection::exec(std::string_view sql, const std::vector<PgParam>& params) {
  if (!conn_) throw PgError("not connected to PostgreSQL");
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  const std::string text(sql);
  PgResult result(PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr, values.data(), nullptr,
                               nullptr, 0));
  check_result(conn_, result.raw());
  return result;
}

void PgConnection::exec_script(std::string_view sql) {
  if (!conn_) throw PgError("not connected to PostgreSQL");
  PgResult result(PQexec(conn_, std::string(sql).c_str()));
  check_result(conn_, result.raw());
}

bool PgConnection::ok() const { return conn_ && PQstatus(conn_) == CONNECTION_OK; }
int PgConnection::socket() const { return conn_ ? PQsocket(conn_) : -1; }

std::vector<std::string> PgConnection::notifications() {
  std::vector<std::string> out;
  if (!conn_) return out;
  PQconsumeInput(conn_);
  while (PGnotify* n = PQnotifies(conn_)) {
    out.emplace_back(n->relname);
    PQfreemem(n);
  }
  return out;
}

}  // namespace dbg::coord::fleet
