// Native test of the hash join kernel: every emit mode against a nested-loop reference
// (multisets of (probe row, build row) pairs), over random keys with nulls (with and
// without nulls_equal), duplicates on both sides, empty sides, several key columns,
// int32 against int64, utf8 against large_utf8 / utf8_view / dictionaries, floats with NaN
// and -0.0, decimals, dates, timestamps and bools; several local build states, sliced
// batches, bounded output batches (a skewed key over many of them), probers on threads
// sharing the build-side flags, and every gathered output value checked against its
// source row. Also the errors of keys that cannot be compared.
#include "arrays.h"
#include "check.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "arrow/builder.h"
#include "kernels/dictionary.h"
#include "kernels/join.h"

using namespace headrace::arrow;
using namespace headrace::kernels;
using namespace headrace::testing;

namespace {

using Key = std::vector<std::optional<std::string>>;  // canonical key of a row
using Pair = std::pair<int64_t, int64_t>;             // (probe id, build id); -1 null side, -2 side not emitted

struct Wide {
  uint64_t low, high;
};

// utf8_view: 16-byte views, strings over 12 bytes in one character buffer.
Column views(const std::vector<std::optional<std::string>>& values) {
  const auto n = static_cast<int64_t>(values.size());
  BitmapBuilder validity(n);
  AlignedBuffer view_buffer(values.size() * 16);
  std::string chars;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!values[i]) continue;
    validity.set(static_cast<int64_t>(i));
    const std::string& s = *values[i];
    uint8_t* view = view_buffer.data() + 16 * i;
    const auto length = static_cast<int32_t>(s.size());
    std::memcpy(view, &length, 4);
    if (s.size() <= 12) {
      std::memcpy(view + 4, s.data(), s.size());
    } else {
      const int32_t buffer = 0, offset = static_cast<int32_t>(chars.size());
      std::memcpy(view + 4, s.data(), 4);
      std::memcpy(view + 8, &buffer, 4);
      std::memcpy(view + 12, &offset, 4);
      chars += s;
    }
  }
  AlignedBuffer data(chars.size());
  if (!chars.empty()) std::memcpy(data.data(), chars.data(), chars.size());
  AlignedBuffer sizes(8);
  const auto size = static_cast<int64_t>(chars.size());
  std::memcpy(sizes.data(), &size, 8);
  std::vector<AlignedBuffer> buffers;
  buffers.push_back(validity.release());
  buffers.push_back(std::move(view_buffer));
  buffers.push_back(std::move(data));
  buffers.push_back(std::move(sizes));
  return make_array(n, std::move(buffers));
}

// Dictionary-encoded utf8: indices into a dictionary of the distinct values.
Column dictionary(const std::vector<std::optional<std::string>>& values) {
  std::vector<std::optional<std::string>> dict;
  std::vector<std::optional<int32_t>> indices;
  for (const auto& v : values) {
    if (!v) {
      indices.emplace_back();
      continue;
    }
    std::size_t i = 0;
    while (i < dict.size() && *dict[i] != *v) ++i;
    if (i == dict.size()) dict.push_back(v);
    indices.push_back(static_cast<int32_t>(i));
  }
  dict.push_back(std::string("unused"));
  auto out = std::make_shared<ArrayData>(*fixed<int32_t>(indices));
  out->dictionary = strings(dict, false);
  return out;
}

Field dictionary_field(const std::string& name) {
  Field f = field(name, TypeId::kInt32);
  f.dictionary = std::make_shared<Field>(field("", TypeId::kUtf8));
  return f;
}

// One cell as text ("null" for null), for comparing an output value with its source.
std::string cell(const ArrayData& data, const Field& f, int64_t i) {
  const ArrayView view(data, f);
  if (!view.is_valid(i)) return "null";
  char buffer[64];
  switch (f.type.id) {
    case TypeId::kInt8: return std::to_string(view.values<int8_t>()[i]);
    case TypeId::kUInt8: return std::to_string(view.values<uint8_t>()[i]);
    case TypeId::kInt16: return std::to_string(view.values<int16_t>()[i]);
    case TypeId::kUInt16: return std::to_string(view.values<uint16_t>()[i]);
    case TypeId::kInt32: case TypeId::kDate32: return std::to_string(view.values<int32_t>()[i]);
    case TypeId::kUInt32: return std::to_string(view.values<uint32_t>()[i]);
    case TypeId::kInt64: case TypeId::kTimestamp: return std::to_string(view.values<int64_t>()[i]);
    case TypeId::kUInt64: return std::to_string(view.values<uint64_t>()[i]);
    case TypeId::kFloat32: std::snprintf(buffer, sizeof buffer, "%a", double(view.values<float>()[i])); return buffer;
    case TypeId::kFloat64: std::snprintf(buffer, sizeof buffer, "%a", view.values<double>()[i]); return buffer;
    case TypeId::kBool: return view.bool_value(i) ? "true" : "false";
    case TypeId::kDecimal128: {
      const Wide w = view.values<Wide>()[i];
      return std::to_string(w.low) + ":" + std::to_string(w.high);
    }
    default: return "s:" + std::string(view.string_value(i));
  }
}

// One side of a join: full columns (the first is the row id), cut into sliced batches.
struct Side {
  std::vector<Field> fields;
  Columns full;
  std::vector<Key> keys;
  std::vector<int> key_columns;
  std::vector<Columns> batches;
  std::vector<int64_t> batch_rows;

  int64_t rows() const { return static_cast<int64_t>(keys.size()); }
  void add(Field f, Column c) {
    fields.push_back(std::move(f));
    full.push_back(std::move(c));
  }
  void cut(std::mt19937_64& rng, int64_t max_batch) {
    batches.clear();
    batch_rows.clear();
    for (int64_t start = 0; start < rows();) {
      const int64_t n = std::min<int64_t>(rows() - start, 1 + static_cast<int64_t>(rng() % max_batch));
      Columns batch;
      for (const Column& c : full) batch.push_back(slice(c, start, n));
      batches.push_back(std::move(batch));
      batch_rows.push_back(n);
      start += n;
    }
  }
};

// Kinds of key columns a test side can have; `v` < 0 is null.
enum class KeyKind { kInt8, kInt32, kInt64, kUInt64, kFloat32, kFloat64, kUtf8, kLargeUtf8, kView, kDict,
                     kDecimal, kBool, kDate32, kTimestamp };

const double kFloats[] = {std::nan(""), -0.0, 0.0, 1.5, -2.25, 1e10};

std::string long_string(int v) {
  std::string out = v % 3 == 0 ? "a long key string number " : "k";
  out += std::to_string(v);
  return out;
}

// The canonical text of key value v of a kind (equal across kinds that compare equal).
std::string canonical(KeyKind kind, int v) {
  switch (kind) {
    case KeyKind::kFloat32: case KeyKind::kFloat64: {
      const double d = kFloats[v % 6];
      if (std::isnan(d)) return "nan";
      return std::to_string(d == 0.0 ? 0.0 : d);
    }
    case KeyKind::kUtf8: case KeyKind::kLargeUtf8: case KeyKind::kView: case KeyKind::kDict: return long_string(v);
    case KeyKind::kBool: return std::to_string(v % 2);
    default: return std::to_string(v);
  }
}

void add_key(Side& side, const std::string& name, KeyKind kind, const std::vector<int>& v) {
  const std::size_t n = v.size();
  auto opt = [&](auto f) {
    using T = decltype(f(0));
    std::vector<std::optional<T>> out(n);
    for (std::size_t i = 0; i < n; ++i) if (v[i] >= 0) out[i] = f(v[i]);
    return out;
  };
  auto strs = opt([](int x) { return long_string(x); });
  side.key_columns.push_back(static_cast<int>(side.fields.size()));
  switch (kind) {
    case KeyKind::kInt8: side.add(field(name, TypeId::kInt8), fixed(opt([](int x) { return static_cast<int8_t>(x); }))); break;
    case KeyKind::kInt32: side.add(field(name, TypeId::kInt32), fixed(opt([](int x) { return static_cast<int32_t>(x); }))); break;
    case KeyKind::kInt64: side.add(field(name, TypeId::kInt64), fixed(opt([](int x) { return static_cast<int64_t>(x); }))); break;
    case KeyKind::kUInt64: side.add(field(name, TypeId::kUInt64), fixed(opt([](int x) { return static_cast<uint64_t>(x); }))); break;
    case KeyKind::kFloat32: side.add(field(name, TypeId::kFloat32), fixed(opt([](int x) { return static_cast<float>(kFloats[x % 6]); }))); break;
    case KeyKind::kFloat64: side.add(field(name, TypeId::kFloat64), fixed(opt([](int x) { return kFloats[x % 6]; }))); break;
    case KeyKind::kUtf8: side.add(field(name, TypeId::kUtf8), strings(strs, false)); break;
    case KeyKind::kLargeUtf8: side.add(field(name, TypeId::kLargeUtf8), strings(strs, true)); break;
    case KeyKind::kView: side.add(field(name, TypeId::kUtf8View), views(strs)); break;
    case KeyKind::kDict: side.add(dictionary_field(name), dictionary(strs)); break;
    case KeyKind::kDecimal: {
      Field f = field(name, TypeId::kDecimal128);
      f.type.precision = 20;
      f.type.scale = 2;
      side.add(f, fixed(opt([](int x) { return Wide{static_cast<uint64_t>(x) * 100 + 5, 0}; })));
      break;
    }
    case KeyKind::kBool: side.add(field(name, TypeId::kBool), bools(opt([](int x) { return x % 2 == 1; }))); break;
    case KeyKind::kDate32: side.add(field(name, TypeId::kDate32), fixed(opt([](int x) { return static_cast<int32_t>(x); }))); break;
    case KeyKind::kTimestamp: {
      Field f = field(name, TypeId::kTimestamp);
      f.type.unit = TimeUnit::kMicro;
      side.add(f, fixed(opt([](int x) { return static_cast<int64_t>(x) * 1000; })));
      break;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    side.keys[i].push_back(v[i] < 0 ? std::nullopt : std::optional<std::string>(canonical(kind, v[i])));
  }
}

// A side of n rows: the id, its keys (one per kind; values below `cardinality`, null with
// probability null_percent%), then payload columns of every type.
Side make_side(std::mt19937_64& rng, int64_t n, const std::vector<KeyKind>& kinds, int cardinality, int null_percent,
               const std::string& prefix) {
  Side side;
  side.keys.resize(static_cast<std::size_t>(n));
  std::vector<std::optional<int64_t>> ids(n);
  for (int64_t i = 0; i < n; ++i) ids[i] = i;
  side.add(field(prefix + "id", TypeId::kInt64), fixed(ids));
  for (std::size_t k = 0; k < kinds.size(); ++k) {
    std::vector<int> v(n);
    for (auto& x : v) x = static_cast<int>(rng() % 100) < null_percent ? -1 : static_cast<int>(rng() % cardinality);
    add_key(side, prefix + "k" + std::to_string(k), kinds[k], v);
  }
  auto maybe = [&](auto value) {
    using T = decltype(value);
    return rng() % 5 == 0 ? std::optional<T>() : std::optional<T>(value);
  };
  std::vector<std::optional<uint16_t>> u16(n);
  std::vector<std::optional<double>> f64(n);
  std::vector<std::optional<bool>> b(n);
  std::vector<std::optional<std::string>> s(n);
  std::vector<std::optional<Wide>> dec(n);
  for (int64_t i = 0; i < n; ++i) {
    u16[i] = maybe(static_cast<uint16_t>(rng()));
    f64[i] = maybe(static_cast<double>(rng() % 1000) / 8.0);
    b[i] = maybe(rng() % 2 == 0);
    s[i] = maybe(std::string(rng() % 20, static_cast<char>('a' + rng() % 26)));
    dec[i] = maybe(Wide{rng(), rng()});
  }
  side.add(field(prefix + "u16", TypeId::kUInt16), fixed(u16));
  side.add(field(prefix + "f64", TypeId::kFloat64), fixed(f64));
  side.add(field(prefix + "b", TypeId::kBool), bools(b));
  side.add(field(prefix + "s", TypeId::kUtf8), strings(s, false));
  side.add(field(prefix + "ls", TypeId::kLargeUtf8), strings(s, true));
  side.add(field(prefix + "v", TypeId::kUtf8View), views(s));
  side.add(dictionary_field(prefix + "d"), dictionary(s));
  Field decimal = field(prefix + "dec", TypeId::kDecimal128);
  decimal.type.precision = 38;
  side.add(decimal, fixed(dec));
  return side;
}

bool key_match(const Key& a, const Key& b, bool nulls_equal) {
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (!a[k] || !b[k]) {
      if (!(nulls_equal && !a[k] && !b[k])) return false;
    } else if (*a[k] != *b[k]) {
      return false;
    }
  }
  return true;
}

std::multiset<Pair> reference(const Side& build, const Side& probe, JoinEmit emit, bool nulls_equal) {
  std::multiset<Pair> out;
  std::vector<bool> build_matched(build.rows(), false);
  for (int64_t i = 0; i < probe.rows(); ++i) {
    bool matched = false;
    for (int64_t j = 0; j < build.rows(); ++j) {
      if (!key_match(probe.keys[i], build.keys[j], nulls_equal)) continue;
      matched = true;
      build_matched[j] = true;
      if (emit == JoinEmit::kInner || emit == JoinEmit::kProbeOuter || emit == JoinEmit::kBuildOuter ||
          emit == JoinEmit::kFullOuter) {
        out.insert({i, j});
      }
    }
    if (!matched && (emit == JoinEmit::kProbeOuter || emit == JoinEmit::kFullOuter)) out.insert({i, -1});
    if (matched && emit == JoinEmit::kProbeSemi) out.insert({i, -2});
    if (!matched && emit == JoinEmit::kProbeAnti) out.insert({i, -2});
  }
  for (int64_t j = 0; j < build.rows(); ++j) {
    if (!build_matched[j] && (emit == JoinEmit::kBuildOuter || emit == JoinEmit::kFullOuter)) out.insert({-1, j});
    if (build_matched[j] && emit == JoinEmit::kBuildSemi) out.insert({-2, j});
    if (!build_matched[j] && emit == JoinEmit::kBuildAnti) out.insert({-2, j});
  }
  return out;
}

std::vector<int> all_columns(const Side& side) {
  std::vector<int> out(side.fields.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<int>(i);
  return out;
}

struct Outcome {
  std::multiset<Pair> pairs;
  bool bounded = true;  // every batch had 1..max_rows rows and the right columns
  bool values = true;   // every gathered value equals its source row's
  int64_t batches = 0;
  bool dense = false;   // the table was direct-indexed
};

// Checks one output batch against the sources and adds its pairs.
void collect(const JoinPlan& plan, const Side& build, const Side& probe, const JoinBatch& out, int64_t max_rows,
             Outcome& outcome, std::vector<Column>& decoded_build, std::vector<Column>& decoded_probe) {
  ++outcome.batches;
  const auto& fields = plan.output_fields();
  if (out.length < 1 || out.length > max_rows || out.columns.size() != fields.size()) {
    outcome.bounded = false;
    return;
  }
  for (const Column& c : out.columns) {
    if (c->length != out.length) outcome.bounded = false;
  }
  const std::size_t probe_columns = plan.probe_output().size();
  for (int64_t r = 0; r < out.length; ++r) {
    int64_t probe_id = -2, build_id = -2;
    if (probe_columns > 0) {
      const std::string id = cell(*out.columns[0], fields[0], r);
      probe_id = id == "null" ? -1 : std::stoll(id);
    }
    if (!plan.build_output().empty()) {
      const std::string id = cell(*out.columns[probe_columns], fields[probe_columns], r);
      build_id = id == "null" ? -1 : std::stoll(id);
    }
    outcome.pairs.insert({probe_id, build_id});
    if ((r + outcome.batches) % 3 != 0) continue;  // values of a third of the rows: fast enough under TSan
    for (std::size_t c = 0; c < fields.size(); ++c) {
      const bool is_probe = c < probe_columns;
      const int64_t id = is_probe ? probe_id : build_id;
      const int source = is_probe ? plan.probe_output()[c] : plan.build_output()[c - probe_columns];
      const Side& side = is_probe ? probe : build;
      const Column& full = is_probe ? decoded_probe[source] : decoded_build[source];
      const std::string want = id < 0 ? "null" : cell(*full, decoded_field(side.fields[source]), id);
      if (cell(*out.columns[c], fields[c], r) != want) outcome.values = false;
    }
  }
}

Outcome run_join(const Side& build, const Side& probe, JoinEmit emit, bool nulls_equal, int locals, int64_t max_rows,
                 int probers) {
  auto plan = std::make_shared<const JoinPlan>(build.fields, probe.fields, build.key_columns, probe.key_columns,
                                               emit, nulls_equal, all_columns(build), all_columns(probe));
  std::vector<std::unique_ptr<JoinBuildLocal>> states;
  for (int l = 0; l < locals; ++l) states.push_back(std::make_unique<JoinBuildLocal>(plan));
  for (std::size_t b = 0; b < build.batches.size(); ++b) {
    states[b % locals]->sink(build.batches[b], build.batch_rows[b]);
  }
  auto table = std::make_shared<JoinHashTable>(plan);
  for (auto& s : states) table->combine(std::move(s));
  {  // partitions finalized from two threads
    std::thread other([&] {
      for (uint32_t p = 1; p < table->partitions(); p += 2) table->finalize_partition(p);
    });
    for (uint32_t p = 0; p < table->partitions(); p += 2) table->finalize_partition(p);
    other.join();
  }
  const bool dense = table->dense() != nullptr;
  std::vector<Column> decoded_build, decoded_probe;
  for (std::size_t c = 0; c < build.full.size(); ++c) decoded_build.push_back(decode_dictionary(build.full[c], build.fields[c]));
  for (std::size_t c = 0; c < probe.full.size(); ++c) decoded_probe.push_back(decode_dictionary(probe.full[c], probe.fields[c]));

  std::vector<Outcome> outcomes(probers);
  std::vector<std::thread> threads;
  for (int t = 0; t < probers; ++t) {
    threads.emplace_back([&, t] {
      JoinProber prober(table, max_rows);
      JoinBatch out;
      for (std::size_t b = static_cast<std::size_t>(t); b < probe.batches.size(); b += probers) {
        prober.probe(probe.batches[b], probe.batch_rows[b]);
        Outcome local;
        while (prober.next(out)) collect(*plan, build, probe, out, max_rows, local, decoded_build, decoded_probe);
        outcomes[t].pairs.insert(local.pairs.begin(), local.pairs.end());
        outcomes[t].bounded &= local.bounded;
        outcomes[t].values &= local.values;
        outcomes[t].batches += local.batches;
      }
    });
  }
  for (auto& t : threads) t.join();
  Outcome outcome;
  outcome.dense = dense;
  for (const Outcome& o : outcomes) {
    outcome.pairs.insert(o.pairs.begin(), o.pairs.end());
    outcome.bounded &= o.bounded;
    outcome.values &= o.values;
    outcome.batches += o.batches;
  }
  if (plan->tracks_build()) {
    for (uint32_t p = 0; p < table->partitions(); ++p) {
      JoinBuildScanner scan = emit == JoinEmit::kBuildSemi ? table->matched_build(p, max_rows) : table->unmatched_build(p, max_rows);
      JoinBatch out;
      while (scan.next(out)) collect(*plan, build, probe, out, max_rows, outcome, decoded_build, decoded_probe);
    }
  }
  return outcome;
}

const JoinEmit kModes[] = {JoinEmit::kInner, JoinEmit::kProbeOuter, JoinEmit::kProbeSemi, JoinEmit::kProbeAnti,
                           JoinEmit::kBuildOuter, JoinEmit::kFullOuter, JoinEmit::kBuildSemi, JoinEmit::kBuildAnti};
const char* const kModeNames[] = {"inner", "probe_outer", "probe_semi", "probe_anti",
                                  "build_outer", "full_outer", "build_semi", "build_anti"};

void check_modes(const std::string& what, const Side& build, const Side& probe, int locals, int64_t max_rows,
                 int probers, bool both_nulls = true) {
  for (int ne = 0; ne < (both_nulls ? 2 : 1); ++ne) {
    for (std::size_t m = 0; m < 8; ++m) {
      const Outcome got = run_join(build, probe, kModes[m], ne == 1, locals, max_rows, probers);
      const std::multiset<Pair> want = reference(build, probe, kModes[m], ne == 1);
      const std::string name = what + " " + kModeNames[m] + (ne ? " nulls_equal" : "");
      check(got.pairs == want, (name + ": pairs").c_str());
      if (got.pairs != want) std::printf("  got %zu pairs, want %zu\n", got.pairs.size(), want.size());
      check(got.bounded && got.values, (name + ": bounded batches, gathered values").c_str());
    }
  }
}

// Probe ids in the output are the id column's values, i.e. rows of the whole side.
void test_random_keys() {
  std::mt19937_64 rng(7);
  for (KeyKind kind : {KeyKind::kInt64, KeyKind::kUtf8, KeyKind::kFloat64, KeyKind::kDecimal, KeyKind::kBool,
                       KeyKind::kDate32, KeyKind::kTimestamp, KeyKind::kDict, KeyKind::kView}) {
    Side build = make_side(rng, 140, {kind}, 30, 10, "b_");
    Side probe = make_side(rng, 120, {kind}, 40, 10, "p_");
    build.cut(rng, 40);
    probe.cut(rng, 30);
    check_modes("key kind " + std::to_string(static_cast<int>(kind)), build, probe, 3, 61, 1);
  }
}

void test_mixed_types() {
  std::mt19937_64 rng(11);
  struct Case {
    const char* name;
    std::vector<KeyKind> build, probe;
  };
  const Case cases[] = {
      {"int32 probe, int64 build", {KeyKind::kInt64}, {KeyKind::kInt32}},
      {"int8 probe, uint64 build", {KeyKind::kUInt64}, {KeyKind::kInt8}},
      {"utf8 probe, large_utf8 build", {KeyKind::kLargeUtf8}, {KeyKind::kUtf8}},
      {"view probe, dictionary build", {KeyKind::kDict}, {KeyKind::kView}},
      {"float32 probe, float64 build (NaN, -0.0)", {KeyKind::kFloat64}, {KeyKind::kFloat32}},
      {"int32+utf8 keys", {KeyKind::kInt32, KeyKind::kUtf8}, {KeyKind::kInt64, KeyKind::kLargeUtf8}},
      {"three keys", {KeyKind::kInt64, KeyKind::kFloat64, KeyKind::kDecimal}, {KeyKind::kInt32, KeyKind::kFloat32, KeyKind::kDecimal}},
  };
  for (const Case& c : cases) {
    Side build = make_side(rng, 100, c.build, 12, 15, "b_");
    Side probe = make_side(rng, 90, c.probe, 12, 15, "p_");
    build.cut(rng, 50);
    probe.cut(rng, 40);
    check_modes(c.name, build, probe, 2, 64, 1);
  }
}

void test_empty_sides() {
  std::mt19937_64 rng(3);
  Side empty = make_side(rng, 0, {KeyKind::kInt64}, 10, 0, "e_");
  Side some = make_side(rng, 50, {KeyKind::kInt64}, 10, 10, "s_");
  empty.cut(rng, 10);
  some.cut(rng, 16);
  check_modes("empty build", empty, some, 2, 16, 1, false);
  check_modes("empty probe", some, empty, 2, 16, 1, false);
  // A probe batch of zero rows among others.
  Side zero = some;
  zero.batches.insert(zero.batches.begin(), Columns{});
  for (const Column& c : some.full) zero.batches.front().push_back(slice(c, 0, 0));
  zero.batch_rows.insert(zero.batch_rows.begin(), 0);
  check_modes("zero-row batches", zero, zero, 2, 16, 1, false);
}

// One key with many rows on both sides: a build larger than the probe, many bounded batches.
void test_skew_and_threads() {
  std::mt19937_64 rng(5);
  Side build;
  const int64_t n = 8000;
  build.keys.resize(n);
  std::vector<std::optional<int64_t>> ids(n);
  std::vector<int> keys(n);
  for (int64_t i = 0; i < n; ++i) {
    ids[i] = i;
    keys[i] = i % 10 == 0 ? static_cast<int>(i % 800) + 1 : 0;  // key 0: 7200 rows
  }
  build.add(field("id", TypeId::kInt64), fixed(ids));
  add_key(build, "k", KeyKind::kInt64, keys);
  Side probe;
  probe.keys.resize(300);
  std::vector<std::optional<int64_t>> pids(300);
  std::vector<int> pkeys(300);
  for (int i = 0; i < 300; ++i) {
    pids[i] = i;
    pkeys[i] = i < 3 ? 0 : (i % 7 == 0 ? -1 : 5000 + i % 1500);  // three hot rows, misses, nulls
    if (i % 5 == 0 && i > 3) pkeys[i] = i;                       // some hits on the rare keys
  }
  probe.add(field("id", TypeId::kInt64), fixed(pids));
  add_key(probe, "k", KeyKind::kInt32, pkeys);
  build.cut(rng, 3000);
  probe.cut(rng, 50);
  for (JoinEmit emit : {JoinEmit::kInner, JoinEmit::kFullOuter}) {
    const Outcome got = run_join(build, probe, emit, false, 4, 500, 1);
    check(got.pairs == reference(build, probe, emit, false), "skewed key: pairs");
    check(got.bounded && got.values, "skewed key: bounded batches, gathered values");
    check(got.batches >= 3 * 7200 / 500, "skewed key: the hot key's matches span many batches");
  }
  // Probers on 4 threads sharing the build-side flags.
  Side big_probe = make_side(rng, 500, {KeyKind::kInt64}, 700, 5, "p_");
  Side big_build = make_side(rng, 400, {KeyKind::kInt64}, 700, 5, "b_");
  big_probe.cut(rng, 50);
  big_build.cut(rng, 100);
  for (JoinEmit emit : {JoinEmit::kBuildOuter, JoinEmit::kFullOuter, JoinEmit::kBuildSemi, JoinEmit::kBuildAnti,
                        JoinEmit::kInner}) {
    const Outcome got = run_join(big_build, big_probe, emit, false, 3, 500, 4);
    check(got.pairs == reference(big_build, big_probe, emit, false), "4 probers: pairs");
    check(got.bounded && got.values, "4 probers: bounded batches, gathered values");
  }
}

// A side of n rows: the id, then one key column of `kind` with values v.
Side keyed_side(const std::vector<int>& v, KeyKind kind) {
  Side side;
  side.keys.resize(v.size());
  std::vector<std::optional<int64_t>> ids(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) ids[i] = static_cast<int64_t>(i);
  side.add(field("id", TypeId::kInt64), fixed(ids));
  add_key(side, "k", kind, v);
  return side;
}

// Unique build keys over a dense range take the direct-indexed table; probe keys below,
// inside and above the range, nulls, every mode. Sparse or duplicate keys fall back to the
// hash table with the same answers.
void test_dense_keys() {
  std::mt19937_64 rng(13);
  struct Case {
    const char* name;
    KeyKind build, probe;
    int step;        // build keys 3 + step * i
    bool duplicate;  // one key twice
    bool dense;      // expected table
  };
  const Case cases[] = {
      {"dense int64 build, int32 probe", KeyKind::kInt64, KeyKind::kInt32, 2, false, true},
      {"dense date32", KeyKind::kDate32, KeyKind::kDate32, 1, false, true},
      {"dense uint64 build, int64 probe", KeyKind::kUInt64, KeyKind::kInt64, 3, false, true},
      {"sparse int64 keys", KeyKind::kInt64, KeyKind::kInt64, 9, false, false},
      {"timestamp keys (1000 apart)", KeyKind::kTimestamp, KeyKind::kTimestamp, 1, false, false},
      {"a duplicate key", KeyKind::kInt64, KeyKind::kInt64, 1, true, false},
  };
  for (const Case& c : cases) {
    const int n = 300;
    std::vector<int> build_keys(n);
    for (int i = 0; i < n; ++i) build_keys[i] = i % 11 == 5 ? -1 : 3 + c.step * i;
    if (c.duplicate) build_keys[7] = build_keys[8];
    std::shuffle(build_keys.begin(), build_keys.end(), rng);
    std::vector<int> probe_keys(400);
    for (int& k : probe_keys) k = rng() % 10 == 0 ? -1 : static_cast<int>(rng() % (c.step * n + 20));
    Side build = keyed_side(build_keys, c.build), probe = keyed_side(probe_keys, c.probe);
    build.cut(rng, 70);
    probe.cut(rng, 90);
    check_modes(c.name, build, probe, 2, 77, 2);
    check(run_join(build, probe, JoinEmit::kInner, false, 2, 77, 1).dense == c.dense,
          (std::string(c.name) + ": direct-indexed table as expected").c_str());
  }
}

template <typename F>
bool throws_naming(F&& f, const std::vector<std::string>& words) {
  try {
    f();
  } catch (const ArrowError& e) {
    const std::string what = e.what();
    for (const std::string& w : words) {
      if (what.find(w) == std::string::npos) return false;
    }
    return true;
  }
  return false;
}

void test_errors() {
  auto plan = [](Field b, Field p) {
    return JoinPlan({b}, {p}, {0}, {0}, JoinEmit::kInner, false, {0}, {0});
  };
  check(throws_naming([&] { plan(field("name", TypeId::kUtf8), field("id", TypeId::kInt64)); },
                      {"name", "utf8", "id", "int64"}),
        "utf8 against int64 is rejected naming both");
  Field d1 = field("price", TypeId::kDecimal128), d2 = field("cost", TypeId::kDecimal128);
  d1.type.precision = d2.type.precision = 10;
  d1.type.scale = 2;
  d2.type.scale = 3;
  check(throws_naming([&] { plan(d1, d2); }, {"price", "cost", "decimal128(10, 2)", "decimal128(10, 3)"}),
        "decimals of different scales are rejected naming both");
  check(throws_naming([&] { plan(field("f", TypeId::kFloat64), field("i", TypeId::kInt32)); }, {"f", "i"}),
        "float against int is rejected");
  check(throws_naming([&] { plan(field("d", TypeId::kDate32), field("i", TypeId::kInt32)); }, {"d", "i"}),
        "date32 against int32 is rejected");
  check(throws_naming([&] { parse_join_emit("sideways"); }, {"sideways"}), "an unknown emit mode is rejected");
  // A batch of the wrong shape.
  auto p = std::make_shared<const JoinPlan>(std::vector<Field>{field("k", TypeId::kInt64)},
                                            std::vector<Field>{field("k", TypeId::kInt64)}, std::vector<int>{0},
                                            std::vector<int>{0}, JoinEmit::kInner, false, std::vector<int>{0},
                                            std::vector<int>{0});
  JoinBuildLocal local(p);
  check(throws_naming([&] { local.sink(Columns{}, 0); }, {"build", "columns"}), "a build batch without its columns is rejected");
}

// InlineString's word loads against a byte copy: every size around the inline part, at
// the very end of a buffer (a read past it would show under ASan).
void test_inline_strings() {
  for (std::size_t n = 0; n <= 20; ++n) {
    std::vector<char> buffer(n);
    for (std::size_t i = 0; i < n; ++i) buffer[i] = static_cast<char>(0x80 + 7 * i + n);
    const std::string_view s(buffer.data(), n);
    uint32_t head = 1;
    uint64_t tail = 1;
    InlineString::inline_bytes(s, head, tail);
    char bytes[InlineString::kInlineBytes] = {};
    std::memcpy(bytes, s.data(), std::min(n, InlineString::kInlineBytes));
    uint32_t want_head;
    uint64_t want_tail;
    std::memcpy(&want_head, bytes, 4);
    std::memcpy(&want_tail, bytes + 4, 8);
    check(head == want_head && tail == want_tail, ("inline bytes of a " + std::to_string(n) + "-byte string").c_str());
  }
}

}  // namespace

int main() {
  test_inline_strings();
  test_random_keys();
  test_mixed_types();
  test_empty_sides();
  test_skew_and_threads();
  test_dense_keys();
  test_errors();
  return headrace::testing::exit_code();
}
