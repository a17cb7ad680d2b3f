// Error signatures: function-name normalization, machinery skipping, recursion collapsing, the
// frame bound and the hash, on frame lists shaped like what our worker produces (demangled
// names, module file names, ELF offsets, glibc internals named from libc6-dbg).
#define BOOST_TEST_MODULE coordinator_errors_signature
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "coordinator/errors/function_name.hpp"
#include "coordinator/errors/signature.hpp"

using dbg::Frame;
using namespace dbg::coord::errors;

namespace {

Frame fn(std::string function, std::string module, uint64_t offset, std::optional<int> line = std::nullopt,
         uint64_t pc = 0) {
  Frame f;
  f.function = std::move(function);
  f.module = std::move(module);
  f.offset = offset;
  f.pc = pc ? pc : 0x7f0000000000ULL + offset;
  if (line) {
    f.file = "/src/app/crasher.c";
    f.line = line;
  }
  return f;
}

Frame nosym(std::string module, uint64_t offset) {
  Frame f;
  f.module = std::move(module);
  f.offset = offset;
  f.pc = 0x5500000000ULL + offset;
  return f;
}

// What a SIGABRT from assert() looks like on Debian 12 (glibc 2.36 with libc6-dbg): the kill is
// inlined into raise, which abort and the assert path call.
std::vector<Frame> assert_stack(const std::string& site, int line) {
  Frame inlined = fn("__pthread_kill_internal", "libc.so.6", 0x8aebc);
  inlined.inlined = true;
  return {fn("__pthread_kill_implementation", "libc.so.6", 0x8aebc),
          inlined,
          fn("__GI_raise", "libc.so.6", 0x3bfb2),
          fn("__GI_abort", "libc.so.6", 0x26472),
          fn("__assert_fail_base", "libc.so.6", 0x26395),
          fn("__GI___assert_fail", "libc.so.6", 0x34eb2),
          fn(site, "crasher", 0x1175, line),
          fn("main", "crasher", 0x11a0, 30),
          fn("__libc_start_call_main", "libc.so.6", 0x2724a),
          fn("__libc_start_main_impl", "libc.so.6", 0x27305),
          fn("_start", "crasher", 0x1081)};
}

std::vector<Frame> recursion_stack(int depth, std::size_t depth_limit = 1000) {
  std::vector<Frame> frames{fn("crash_at_bottom", "crasher", 0x1200, 12)};
  for (int i = 0; i < depth; ++i) frames.push_back(fn("recurse(int)", "crasher", 0x1240, 20 + i % 2));
  frames.push_back(fn("main", "crasher", 0x1300, 40));
  frames.push_back(fn("__libc_start_call_main", "libc.so.6", 0x2724a));
  frames.push_back(fn("_start", "crasher", 0x1081));
  if (frames.size() > depth_limit) frames.resize(depth_limit);
  return frames;
}

std::string sig(const std::string& type, const std::vector<Frame>& frames) {
  return compute_signature(type, "", "crasher", frames).hash;
}

}  // namespace

BOOST_AUTO_TEST_CASE(function_names_lose_arguments_templates_qualifiers_and_clone_suffixes) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"main", "main"},
      {"chain_level_3", "chain_level_3"},
      {"crash_here.part.0", "crash_here"},
      {"crash_here.isra.0", "crash_here"},
      {"__pthread_kill_implementation.constprop.0", "__pthread_kill_implementation"},
      {"app::engine::Pipeline<long>::stage_two(long)", "app::engine::Pipeline<T>::stage_two"},
      {"app::engine::Pipeline<int>::stage_two(int)", "app::engine::Pipeline<T>::stage_two"},
      {"app::engine::park_forever(std::unique_lock<std::mutex>&)", "app::engine::park_forever"},
      {"main::{lambda()#1}::operator()() const", "main::{lambda#1}::operator()"},
      {"main::{lambda(int, char const*)#2}::operator()(int, char const*) const", "main::{lambda#2}::operator()"},
      {"std::thread::_State_impl<std::thread::_Invoker<std::tuple<main::{lambda()#1}> > >::_M_run()",
       "std::thread::_State_impl<T>::_M_run"},
      {"(anonymous namespace)::worker(void*)", "(anonymous namespace)::worker"},
      {"void app::run<std::vector<int, std::allocator<int> > >(std::vector<int>&)", "app::run<T>"},
      {"std::vector<int, std::allocator<int> > app::make(unsigned long)", "app::make"},
      {"char const* app::name() const &", "app::name"},
      {"std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::_M_create(unsigned long&, "
       "unsigned long)",
       "std::basic_string<T>::_M_create"},
      {"app::Widget::operator<(app::Widget const&) const", "app::Widget::operator<"},
      {"app::operator<<(std::ostream&, app::Widget const&)", "app::operator<<"},
      {"app::Ptr<int>::operator->() const", "app::Ptr<T>::operator->"},
      {"app::Buffer::operator[](unsigned long)", "app::Buffer::operator[]"},
      {"operator new(unsigned long)", "operator new"},
      {"operator delete[](void*)", "operator delete[]"},
      {"app::Flag::operator bool() const", "app::Flag::operator bool"},
      {"app::Any::operator std::vector<int, std::allocator<int> >() const", "app::Any::operator std::vector<T>"},
      {"app::tag[abi:cxx11]()", "app::tag"},
      {"app::compute(int) [clone .cold]", "app::compute"},
      {"outer(int)::Local::run()", "outer::Local::run"},
      {"app::Cmp<(1>2)>::less(int)", "app::Cmp<T>::less"},
      {"pkg.module.handler", "pkg.module.handler"},  // an application's dotted name is kept
  };
  for (const auto& [in, want] : cases) {
    BOOST_TEST_INFO(in);
    BOOST_TEST(normalize_function(in) == want);
  }
}

BOOST_AUTO_TEST_CASE(function_normalizer_is_total_and_bounded_on_garbage) {
  const std::vector<std::string> garbage = {
      "", " ", "(", ")", "<", ">", "{", "}", "[", "]", "operator", "operator ", "operator<", "(*)(int)",
      std::string(10000, '<'), std::string(10000, '('), std::string(10000, '{') + "x", std::string(5000, 'a'),
      "a<b(c{d[e", "operator\"\" _km(unsigned long long)", "\xff\xfe\xfd", "x.part", ".part.0", "{lambda(",
      "operator operator operator", std::string("a\0b(c)", 6)};
  for (const auto& in : garbage) {
    auto out = normalize_function(in);
    BOOST_TEST(out.size() <= kMaxNormalizedFunction);
  }
  BOOST_TEST(normalize_function("operator\"\" _km(unsigned long long)") == "operator\"\"_km");
}

BOOST_AUTO_TEST_CASE(assert_stack_skips_the_abort_machinery_and_the_process_start) {
  auto keys = signature_frames(assert_stack("check_invariant", 17));
  BOOST_TEST(keys == (std::vector<std::string>{"crasher!check_invariant", "crasher!main"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(double_free_skips_malloc_checks) {
  std::vector<Frame> frames = {fn("__pthread_kill_implementation", "libc.so.6", 0x8aebc),
                               fn("__GI_raise", "libc.so.6", 0x3bfb2),
                               fn("__GI_abort", "libc.so.6", 0x26472),
                               fn("__libc_message", "libc.so.6", 0x7f0ed),
                               fn("malloc_printerr", "libc.so.6", 0x94f87),
                               fn("_int_free", "libc.so.6", 0x96d2f),
                               fn("__GI___libc_free", "libc.so.6", 0x99453),
                               fn("release_twice", "crasher", 0x11d0, 8),
                               fn("main", "crasher", 0x1210, 30)};
  BOOST_TEST(signature_frames(frames) == (std::vector<std::string>{"crasher!release_twice", "crasher!main"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(uncaught_exception_skips_terminate_and_throw) {
  std::vector<Frame> frames = {fn("__pthread_kill_implementation", "libc.so.6", 0x8aebc),
                               fn("__GI_raise", "libc.so.6", 0x3bfb2),
                               fn("__GI_abort", "libc.so.6", 0x26472),
                               fn("__gnu_cxx::__verbose_terminate_handler()", "libstdc++.so.6", 0xa1a3d),
                               fn("__cxxabiv1::__terminate(void (*)())", "libstdc++.so.6", 0xacf5a),
                               fn("std::terminate()", "libstdc++.so.6", 0xacfc5),
                               fn("__cxa_throw", "libstdc++.so.6", 0xad218),
                               fn("app::Parser::parse(std::__cxx11::basic_string<char, std::char_traits<char>, "
                                  "std::allocator<char> > const&)",
                                  "crasher", 0x2410, 55),
                               fn("main", "crasher", 0x2500, 80)};
  BOOST_TEST(signature_frames(frames) == (std::vector<std::string>{"crasher!app::Parser::parse", "crasher!main"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(thread_start_and_std_thread_glue_are_dropped) {
  std::vector<Frame> frames = {fn("app::worker_step(int)", "crasher", 0x3000, 10),
                               fn("main::{lambda()#1}::operator()() const", "crasher", 0x3100, 20),
                               fn("void std::__invoke_impl<void, main::{lambda()#1}>(std::__invoke_other, "
                                  "main::{lambda()#1}&&)",
                                  "crasher", 0x3200),
                               fn("std::__invoke_result<main::{lambda()#1}>::type std::__invoke<main::{lambda()#1}>"
                                  "(main::{lambda()#1}&&)",
                                  "crasher", 0x3250),
                               fn("void std::thread::_Invoker<std::tuple<main::{lambda()#1}> >::_M_invoke<0ul>("
                                  "std::_Index_tuple<0ul>)",
                                  "crasher", 0x3300),
                               fn("std::thread::_Invoker<std::tuple<main::{lambda()#1}> >::operator()()", "crasher",
                                  0x3350),
                               fn("std::thread::_State_impl<std::thread::_Invoker<std::tuple<main::{lambda()#1}> > "
                                  ">::_M_run()",
                                  "crasher", 0x3400),
                               fn("execute_native_thread_routine", "libstdc++.so.6", 0xd44a3),
                               fn("start_thread", "libc.so.6", 0x89044),
                               fn("__GI___clone3", "libc.so.6", 0x1095fb)};
  BOOST_TEST(signature_frames(frames) ==
                 (std::vector<std::string>{"crasher!app::worker_step", "crasher!main::{lambda#1}::operator()"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(addresses_lines_and_arguments_do_not_change_the_signature) {
  auto a = assert_stack("check_invariant(int)", 17);
  auto b = assert_stack("check_invariant(long)", 99);
  for (auto& f : b) f.pc += 0x1000;  // another ASLR base
  BOOST_TEST(sig("SIGABRT/SI_TKILL", a) == sig("SIGABRT/SI_TKILL", b));
}

BOOST_AUTO_TEST_CASE(two_sites_give_two_signatures) {
  BOOST_TEST(sig("SIGABRT/SI_TKILL", assert_stack("check_invariant", 17)) !=
             sig("SIGABRT/SI_TKILL", assert_stack("check_other_invariant", 17)));
}

BOOST_AUTO_TEST_CASE(the_signal_class_counts_but_not_its_code) {
  auto frames = recursion_stack(1);
  BOOST_TEST(sig("SIGSEGV/SEGV_MAPERR", frames) == sig("SIGSEGV/SEGV_ACCERR", frames));
  BOOST_TEST(sig("SIGSEGV/SEGV_MAPERR", frames) != sig("SIGBUS/BUS_ADRERR", frames));
  BOOST_TEST(error_class_of("SIGSEGV/SEGV_MAPERR") == "SIGSEGV");
  BOOST_TEST(error_class_of("exit/3") == "exit");
  BOOST_TEST(error_class_of("ValueError") == "ValueError");
  BOOST_TEST(error_class_of("a/b") == "a/b");
}

BOOST_AUTO_TEST_CASE(different_recursion_depths_give_one_signature) {
  const auto shallow = sig("SIGSEGV/SEGV_MAPERR", recursion_stack(2));
  BOOST_TEST(sig("SIGSEGV/SEGV_MAPERR", recursion_stack(5)) == shallow);
  BOOST_TEST(sig("SIGSEGV/SEGV_MAPERR", recursion_stack(500)) == shallow);
  // The watch captures 20 frames by default: the deep case never reaches main.
  BOOST_TEST(sig("SIGSEGV/SEGV_MAPERR", recursion_stack(500, 20)) == shallow);
  BOOST_TEST(signature_frames(recursion_stack(7)) ==
                 (std::vector<std::string>{"crasher!crash_at_bottom", "crasher!recurse"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(stack_overflow_of_one_function_collapses_to_it) {
  std::vector<Frame> a(20, fn("descend(unsigned long)", "crasher", 0x1400));
  std::vector<Frame> b(64, fn("descend(unsigned long)", "crasher", 0x1400));
  BOOST_TEST(signature_frames(a) == std::vector<std::string>{"crasher!descend"}, boost::test_tools::per_element());
  BOOST_TEST(sig("SIGSEGV/SEGV_MAPERR", a) == sig("SIGSEGV/SEGV_MAPERR", b));
}

BOOST_AUTO_TEST_CASE(mutual_recursion_cut_mid_cycle_collapses_like_a_whole_cycle) {
  std::vector<std::string> whole = {"leaf", "even", "odd", "even", "odd", "even", "odd", "main"};
  std::vector<std::string> cut = {"leaf", "even", "odd", "even", "odd", "even"};
  const std::vector<std::string> want = {"leaf", "even", "odd"};
  BOOST_TEST(collapse_recursion(whole) == want, boost::test_tools::per_element());
  BOOST_TEST(collapse_recursion(cut) == want, boost::test_tools::per_element());
  // No repetition, nothing collapsed or dropped.
  std::vector<std::string> plain = {"a", "b", "c", "d"};
  BOOST_TEST(collapse_recursion(plain) == plain, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(frames_without_symbols_keep_module_and_offset) {
  std::vector<Frame> a = {nosym("stripped_app", 0x1a2b), nosym("stripped_app", 0x1c00), fn("main", "stripped_app", 0x1d00)};
  std::vector<Frame> b = {nosym("stripped_app", 0x2f00), nosym("stripped_app", 0x1c00), fn("main", "stripped_app", 0x1d00)};
  BOOST_TEST(signature_frames(a) ==
                 (std::vector<std::string>{"stripped_app+0x1a2b", "stripped_app+0x1c00", "stripped_app!main"}),
             boost::test_tools::per_element());
  // Unsymbolized code at two sites must not merge into one group (getsentry/sentry#47611).
  BOOST_TEST(sig("SIGSEGV/SEGV_MAPERR", a) != sig("SIGSEGV/SEGV_MAPERR", b));
  // A jump to an unmapped address: the pc is not kept.
  Frame wild = nosym("?", 0xdeadbeef);
  BOOST_TEST(frame_key(wild) == "?");
}

BOOST_AUTO_TEST_CASE(library_versions_do_not_split_symbolized_frames) {
  BOOST_TEST(frame_key(fn("png_read_row", "libpng16.so.16.39.0", 0x100)) == "libpng16.so!png_read_row");
  BOOST_TEST(frame_key(fn("png_read_row", "libpng16.so.16.40.0", 0x180)) == "libpng16.so!png_read_row");
  // Without a symbol the offset only means something for that exact file: the name stays whole.
  BOOST_TEST(frame_key(nosym("libpng16.so.16.39.0", 0x100)) == "libpng16.so.16.39.0+0x100");
}

BOOST_AUTO_TEST_CASE(signature_uses_a_bounded_number_of_frames) {
  std::vector<Frame> frames;
  for (int i = 0; i < 30; ++i) frames.push_back(fn("level_" + std::to_string(i), "app", 0x100u * static_cast<unsigned>(i)));
  BOOST_TEST(signature_frames(frames).size() == kSignatureFrames);
  auto deep_change = frames;
  deep_change[kSignatureFrames].function = "somewhere_else";
  BOOST_TEST(sig("SIGSEGV/SEGV_MAPERR", deep_change) == sig("SIGSEGV/SEGV_MAPERR", frames));
  auto near_change = frames;
  near_change[kSignatureFrames - 1].function = "somewhere_else";
  BOOST_TEST(sig("SIGSEGV/SEGV_MAPERR", near_change) != sig("SIGSEGV/SEGV_MAPERR", frames));
}

BOOST_AUTO_TEST_CASE(frameless_events_are_keyed_by_type_program_and_message_shape) {
  auto a = compute_signature("exit/1", "exited with status 1 after 12 s", "server", {});
  auto b = compute_signature("exit/1", "exited with status 1 after 873 s", "server", {});
  auto c = compute_signature("exit/1", "exited with status 1 after 12 s", "batchjob", {});
  auto d = compute_signature("exit/2", "exited with status 2 after 12 s", "server", {});
  BOOST_TEST(a.hash == b.hash);
  BOOST_TEST(a.hash != c.hash);
  BOOST_TEST(a.hash != d.hash);
  BOOST_TEST(a.frames.empty());
  BOOST_TEST(message_shape("bad pointer 0x7ffd12ab at index 42") == "bad pointer 0xN at index N");
}

BOOST_AUTO_TEST_CASE(hash_is_fnv1a_128_as_32_hex_digits) {
  // Test vectors of the FNV specification (draft-eastlake-fnv).
  BOOST_TEST(fnv1a128_hex("") == "6c62272e07bb014262b821756295c58d");
  BOOST_TEST(fnv1a128_hex("a") == "d228cb696f1a8caf78912b704e4a8964");
  auto s = compute_signature("SIGSEGV/SEGV_MAPERR", "", "x", recursion_stack(3));
  BOOST_TEST(s.hash.size() == 32u);
  BOOST_TEST(s.hash.find_first_not_of("0123456789abcdef") == std::string::npos);
  BOOST_TEST(s.error_class == "SIGSEGV");
}

BOOST_AUTO_TEST_CASE(keys_cannot_be_spliced_into_another_key_list) {
  std::vector<Frame> one = {fn("a\n1:b", "", 0)};
  std::vector<Frame> two = {fn("a", "", 0), fn("b", "", 0)};
  BOOST_TEST(sig("T", one) != sig("T", two));
}

BOOST_AUTO_TEST_CASE(only_machinery_frames_fall_back_to_the_frameless_key) {
  std::vector<Frame> frames = {fn("__GI_raise", "libc.so.6", 0x3bfb2), fn("__GI_abort", "libc.so.6", 0x26472)};
  auto s = compute_signature("SIGABRT/SI_TKILL", "", "tool", frames);
  BOOST_TEST(s.frames.empty());
  BOOST_TEST(s.hash == compute_signature("SIGABRT/SI_TKILL", "", "tool", {}).hash);
}
