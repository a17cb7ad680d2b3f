#include "coordinator/logging/gzip_rotating_sink.hpp"

#include <zlib.h>

#include <cstdio>
#include <memory>
#include <vector>

namespace dbg::coord::logging {

GzipRotatingFileSink::GzipRotatingFileSink(std::filesystem::path directory, std::string stem, std::size_t max_bytes,
                                           std::size_t max_files)
    : directory_(std::move(directory)), stem_(std::move(stem)), max_bytes_(max_bytes), max_files_(max_files) {
  std::filesystem::create_directories(directory_);
  file_.open(current_file().string(), false);  // append: a restart continues the same file
  current_size_ = file_.size();
}

std::filesystem::path GzipRotatingFileSink::rotated_file(std::size_t index) const {
  return directory_ / (stem_ + "." + std::to_string(index) + ".log.gz");
}

void GzipRotatingFileSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t formatted;
  formatter_->format(msg, formatted);
  if (current_size_ > 0 && current_size_ + formatted.size() > max_bytes_) rotate();
  file_.write(formatted);
  current_size_ += formatted.size();
  bytes_written_.fetch_add(formatted.size(), std::memory_order_relaxed);
}

void GzipRotatingFileSink::flush_() { file_.flush(); }

void GzipRotatingFileSink::rotate() {
  file_.flush();
  file_.close();
  std::error_code ec;
  // Shift the compressed files: N-1 -> N (the oldest falls off), ..., 1 -> 2.
  std::filesystem::remove(rotated_file(max_files_), ec);
  for (std::size_t i = max_files_; i > 1; --i) {
    if (std::filesystem::exists(rotated_file(i - 1), ec)) std::filesystem::rename(rotated_file(i - 1), rotated_file(i), ec);
  }
  if (max_files_ > 0 && !compress(current_file(), rotated_file(1))) {
    compression_failures_.fetch_add(1, std::memory_order_relaxed);
  }
  // Truncate: the old content is in the .gz (or, if compression failed, given up rather than
  // letting the file grow without bound).
  file_.open(current_file().string(), true);
  current_size_ = 0;
  rotations_.fetch_add(1, std::memory_order_relaxed);
}

bool GzipRotatingFileSink::compress(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(from.c_str(), "rb"), &std::fclose);
  if (!in) return false;
  auto tmp = to;
  tmp += ".tmp";
  gzFile out = gzopen(tmp.c_str(), "wb6");
  if (out == nullptr) return false;
  std::vector<char> buffer(1 << 16);
  std::uint64_t total = 0;
  bool ok = true;
  for (;;) {
    std::size_t n = std::fread(buffer.data(), 1, buffer.size(), in.get());
    if (n == 0) break;
    if (gzwrite(out, buffer.data(), static_cast<unsigned>(n)) != static_cast<int>(n)) {
      ok = false;
      break;
    }
    total += n;
  }
  if (gzclose(out) != Z_OK) ok = false;
  std::error_code ec;
  if (!ok) {
    std::filesystem::remove(tmp, ec);
    return false;
  }
  std::filesystem::rename(tmp, to, ec);
  if (ec) return false;
  compressed_in_.fetch_add(total, std::memory_order_relaxed);
  compressed_out_.fetch_add(std::filesystem::file_size(to, ec), std::memory_order_relaxed);
  return true;
}

}  // namespace dbg::coord::logging
