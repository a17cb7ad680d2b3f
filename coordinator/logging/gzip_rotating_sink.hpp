#pragma once
// A file sink that rotates by size and compresses what it rotated out:
//   DIR/dbgcoord.log          the current file (appended to across restarts)
//   DIR/dbgcoord.1.log.gz     the newest rotated file, ... DIR/dbgcoord.N.log.gz the oldest
// Compression (zlib, gzip format, so zcat/zless read it) runs in the logger's own thread, never
// in the code that logs: the asynchronous queue absorbs the pause.
#include <spdlog/details/file_helper.h>
#include <spdlog/sinks/base_sink.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <mutex>

namespace dbg::coord::logging {

class GzipRotatingFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // Throws spdlog::spdlog_ex when the file cannot be opened.
  GzipRotatingFileSink(std::filesystem::path directory, std::string stem, std::size_t max_bytes, std::size_t max_files);

  std::filesystem::path current_file() const { return directory_ / (stem_ + ".log"); }
  std::filesystem::path rotated_file(std::size_t index) const;  // 1 = newest

  std::uint64_t bytes_written() const { return bytes_written_.load(std::memory_order_relaxed); }
  std::uint64_t rotations() const { return rotations_.load(std::memory_order_relaxed); }
  // Over all rotations: bytes before and after compression.
  std::uint64_t compressed_in() const { return compressed_in_.load(std::memory_order_relaxed); }
  std::uint64_t compressed_out() const { return compressed_out_.load(std::memory_order_relaxed); }
  std::uint64_t compression_failures() const { return compression_failures_.load(std::memory_order_relaxed); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  void rotate();
  // Compresses from into to (written as to.tmp, then renamed); false on failure.
  bool compress(const std::filesystem::path& from, const std::filesystem::path& to);

  std::filesystem::path directory_;
  std::string stem_;
  std::size_t max_bytes_, max_files_;
  spdlog::details::file_helper file_;
  std::size_t current_size_ = 0;
  std::atomic<std::uint64_t> bytes_written_{0}, rotations_{0}, compressed_in_{0}, compressed_out_{0},
      compression_failures_{0};
};

}  // namespace dbg::coord::logging
