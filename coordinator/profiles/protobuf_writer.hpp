#pragma once
// ProtobufWriter: the protobuf wire format, write-only, for the handful of message shapes pprof's
// profile.proto needs (varints, length-delimited strings and sub-messages, packed repeated
// varints). Fields are written in the order called; a proto3 reader accepts any order.
// Wire types (protobuf encoding spec): 0 varint, 2 length-delimited.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dbg::coord::profiles {

class ProtobufWriter {
 public:
  // int64/uint64/bool fields: two's complement for negative values (not zigzag: that is sint64).
  void varint_field(int field, uint64_t value) {
    key(field, 0);
    varint(value);
  }
  void int_field(int field, int64_t value) { varint_field(field, static_cast<uint64_t>(value)); }
  // Omits the field when zero: proto3 readers take an absent scalar as 0 anyway.
  void int_field_nonzero(int field, int64_t value) {
    if (value != 0) int_field(field, value);
  }
  void bytes_field(int field, std::string_view bytes) {
    key(field, 2);
    varint(bytes.size());
    out_.append(bytes);
  }
  void message_field(int field, const ProtobufWriter& message) { bytes_field(field, message.out_); }
  void packed_field(int field, const std::vector<uint64_t>& values) {
    if (values.empty()) return;
    ProtobufWriter body;
    for (uint64_t v : values) body.varint(v);
    bytes_field(field, body.out_);
  }
  const std::string& bytes() const { return out_; }
  std::string take() { return std::move(out_); }

  void varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }

 private:
  void key(int field, int wire_type) { varint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire_type)); }
  std::string out_;
};

}  // namespace dbg::coord::profiles
