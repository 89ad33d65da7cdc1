#include "lmc/json_reader.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lmc/handler.h"
#include "lmc/json.h"
#include "lmc/testing/handler_harness.h"

namespace lmc {
namespace {

struct Item {
  std::string sku;
  int count = 1;
};
void DescribeJson(JsonFields& fields, Item& item) {
  fields.Required("sku", item.sku);
  fields.Optional("count", item.count);
}

struct Order {
  std::string id;
  bool gift = false;
  int64_t total_cents = 0;
  uint64_t sequence = 0;
  double weight = 0;
  std::optional<std::string> note;
  std::vector<Item> items;
  std::vector<int64_t> codes;
  std::optional<Item> bonus;
};
void DescribeJson(JsonFields& fields, Order& order) {
  fields.Required("id", order.id);
  fields.Optional("gift", order.gift);
  fields.Optional("total_cents", order.total_cents);
  fields.Optional("sequence", order.sequence);
  fields.Optional("weight", order.weight);
  fields.Optional("note", order.note);
  fields.Optional("items", order.items);
  fields.Optional("codes", order.codes);
  fields.Optional("bonus", order.bonus);
}

// The error message of reading `json` as an Order (or "OK").
std::string OrderError(std::string_view json) {
  absl::StatusOr<Order> order = ReadJsonText<Order>(json);
  if (order.ok()) return "OK";
  EXPECT_EQ(order.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string{order.status().message()};
}

TEST(ReadJson, FillsEveryKindOfMember) {
  absl::StatusOr<Order> order = ReadJsonText<Order>(
      R"({"id":"o-1","gift":true,"total_cents":-250,"sequence":18446744073709551615,)"
      R"("weight":0.25,"note":"caf\u00e9","items":[{"sku":"a"},{"sku":"b","count":3}],)"
      R"("codes":[1,2],"bonus":{"sku":"c"}})");
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->id, "o-1");
  EXPECT_TRUE(order->gift);
  EXPECT_EQ(order->total_cents, -250);
  EXPECT_EQ(order->sequence, 18446744073709551615ULL);
  EXPECT_EQ(order->weight, 0.25);
  EXPECT_EQ(order->note, "caf\xC3\xA9");
  ASSERT_EQ(order->items.size(), 2u);
  EXPECT_EQ(order->items[0].sku, "a");
  EXPECT_EQ(order->items[0].count, 1);
  EXPECT_EQ(order->items[1].count, 3);
  EXPECT_EQ(order->codes, (std::vector<int64_t>{1, 2}));
  ASSERT_TRUE(order->bonus.has_value());
  EXPECT_EQ(order->bonus->sku, "c");
}

TEST(ReadJson, AbsentOptionalFieldsKeepTheirDefaultsAndUnknownFieldsAreSkipped) {
  absl::StatusOr<Order> order =
      ReadJsonText<Order>(R"({"extra":{"deep":[1,{"x":null}]},"id":"o","more":"x"})");
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->id, "o");
  EXPECT_FALSE(order->gift);
  EXPECT_FALSE(order->note.has_value());
  EXPECT_TRUE(order->items.empty());
}

TEST(ReadJson, NullIsNulloptForOptionalMembersAndAnErrorForOthers) {
  absl::StatusOr<Order> order = ReadJsonText<Order>(R"({"id":"o","note":null,"bonus":null})");
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_FALSE(order->note.has_value());
  EXPECT_EQ(OrderError(R"({"id":null})"), R"(field "id": expected a string, got null)");
}

TEST(ReadJson, MissingRequiredFieldIsNamed) {
  EXPECT_EQ(OrderError(R"({"gift":true})"), R"(field "id": required but missing)");
  EXPECT_EQ(OrderError(R"({"id":"o","items":[{"sku":"a"},{"count":2}]})"),
            R"(field "items[1].sku": required but missing)");
}

TEST(ReadJson, MistypedFieldNamesTheFieldAndBothTypes) {
  EXPECT_EQ(OrderError(R"({"id":7})"), R"(field "id": expected a string, got a number)");
  EXPECT_EQ(OrderError(R"({"id":"o","gift":"yes"})"),
            R"(field "gift": expected a boolean, got a string)");
  EXPECT_EQ(OrderError(R"({"id":"o","total_cents":"12"})"),
            R"(field "total_cents": expected an integer, got a string)");
  EXPECT_EQ(OrderError(R"({"id":"o","items":{}})"),
            R"(field "items": expected an array, got an object)");
  EXPECT_EQ(OrderError(R"({"id":"o","bonus":[]})"),
            R"(field "bonus": expected an object, got an array)");
  EXPECT_EQ(OrderError(R"({"id":"o","codes":[1,true]})"),
            R"(field "codes[1]": expected an integer, got a boolean)");
  EXPECT_EQ(OrderError(R"({"id":"o","weight":"heavy"})"),
            R"(field "weight": expected a number, got a string)");
}

TEST(ReadJson, IntegersThatDoNotFitSayWhy) {
  EXPECT_EQ(OrderError(R"({"id":"o","total_cents":1.5})"),
            R"(field "total_cents": expected an integer, got a fractional number)");
  EXPECT_EQ(OrderError(R"({"id":"o","total_cents":99999999999999999999})"),
            R"(field "total_cents": integer out of range)");
  EXPECT_EQ(OrderError(R"({"id":"o","sequence":-1})"),
            R"(field "sequence": expected a non-negative integer)");
  EXPECT_EQ(OrderError(R"({"id":"o","items":[{"sku":"a","count":3000000000}]})"),
            R"(field "items[0].count": integer out of range)");
}

TEST(ReadJson, DuplicateKeyIsAnError) {
  EXPECT_EQ(OrderError(R"({"id":"a","id":"b"})"), R"(field "id": appears more than once)");
}

TEST(ReadJson, DocumentThatIsNotAnObjectIsRejected) {
  EXPECT_EQ(OrderError("[1,2]"), "the document: expected an object, got an array");
  EXPECT_EQ(OrderError(""), "the document: not valid JSON");
  EXPECT_NE(OrderError(R"({"id":"o")"), "OK");
  EXPECT_EQ(OrderError(R"({"id":"o"} {})"), "the document: unexpected content after the object");
}

struct Greeting {
  std::string_view name;
  int times = 1;
};
void DescribeJson(JsonFields& fields, Greeting& greeting) {
  fields.Required("name", greeting.name);
  fields.Optional("times", greeting.times);
}

// A handler that reads its event into a struct with views into the event's parser.
Result Greet(const Event& event, const Context& /*context*/) {
  absl::StatusOr<Greeting> greeting = ReadJson<Greeting>(event);
  if (!greeting.ok()) return Error("InvalidEvent", std::string{greeting.status().message()});
  std::string out;
  for (int i = 0; i < greeting->times; ++i) out.append(greeting->name);
  return Response::Text(std::move(out));
}

TEST(ReadJson, ReadsAnEventInPlace) {
  testing::Invocation invocation;
  invocation.event = R"({"name":"ab\"","times":2})";
  testing::Outcome outcome = testing::Invoke(Greet, invocation);
  ASSERT_TRUE(outcome.result.ok());
  EXPECT_EQ(outcome.body, "ab\"ab\"");

  invocation.event = R"({"times":2})";
  outcome = testing::Invoke(Greet, invocation);
  ASSERT_FALSE(outcome.result.ok());
  EXPECT_EQ(outcome.result.error().message(), R"(field "name": required but missing)");
}

TEST(WriteJson, OneDescribeJsonWritesWhatItReads) {
  Order order;
  order.id = "o-\"1\"";
  order.gift = true;
  order.total_cents = -250;
  order.sequence = 18446744073709551615ULL;
  order.weight = 0.25;
  order.items = {{"a", 1}, {"b", 3}};
  order.codes = {1, 2};
  order.bonus = Item{"c", 2};
  const std::string text = WriteJsonText(order);
  EXPECT_EQ(text,
            R"({"id":"o-\"1\"","gift":true,"total_cents":-250,"sequence":18446744073709551615,)"
            R"("weight":0.25,"items":[{"sku":"a","count":1},{"sku":"b","count":3}],)"
            R"("codes":[1,2],"bonus":{"sku":"c","count":2}})");
  absl::StatusOr<Order> back = ReadJsonText<Order>(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->id, order.id);
  EXPECT_EQ(back->sequence, order.sequence);
  EXPECT_FALSE(back->note.has_value());
  ASSERT_EQ(back->items.size(), 2u);
  EXPECT_EQ(back->items[1].count, 3);
  EXPECT_EQ(back->bonus->count, 2);
}

struct Reply {
  std::optional<std::string> required_note;
  std::optional<int64_t> optional_count;
  std::vector<std::optional<bool>> flags;
};
void DescribeJson(JsonFields& fields, Reply& reply) {
  fields.Required("required_note", reply.required_note);
  fields.Optional("optional_count", reply.optional_count);
  fields.Optional("flags", reply.flags);
}

TEST(WriteJson, AnEmptyOptionalIsNullWhenRequiredAndLeftOutWhenOptional) {
  Reply reply;
  reply.flags = {true, std::nullopt};
  EXPECT_EQ(WriteJsonText(reply), R"({"required_note":null,"flags":[true,null]})");
  reply.optional_count = 0;
  EXPECT_EQ(WriteJsonText(reply),
            R"({"required_note":null,"optional_count":0,"flags":[true,null]})");
}

// A DescribeJson that also checks something: it can tell the two directions apart.
struct Checked {
  int value = 0;
};
void DescribeJson(JsonFields& fields, Checked& checked) {
  fields.Required("value", checked.value);
  if (fields.writing()) {
    EXPECT_GE(checked.value, 0);
  }
}

TEST(WriteJson, AppendsToAWriterLikeAnyOtherValue) {
  std::string out;
  JsonWriter json(&out);
  json.BeginArray();
  WriteJson(json, Checked{1});  // unqualified: found through JsonWriter
  WriteJson(json, Checked{2});
  json.EndArray();
  EXPECT_EQ(out, R"([{"value":1},{"value":2}])");
}

// A struct with a writer of its own beside its DescribeJson(): a fixed-point amount.
struct Money {
  int64_t cents = 0;
};
void DescribeJson(JsonFields& fields, Money& money) { fields.Required("cents", money.cents); }
void WriteJson(JsonWriter& json, const Money& money) {
  json.Raw(
      absl::StrCat("\"", money.cents / 100, ".", money.cents % 100 / 10, money.cents % 10, "\""));
}
struct Invoice {
  Money total;
  std::vector<Money> lines;
};
void DescribeJson(JsonFields& fields, Invoice& invoice) {
  fields.Required("total", invoice.total);
  fields.Optional("lines", invoice.lines);
}

TEST(WriteJson, AStructsOwnWriterWinsAsAFieldAndAsAnElement) {
  const Invoice invoice{{1205}, {{1200}, {5}}};
  EXPECT_EQ(WriteJsonText(invoice), R"({"total":"12.05","lines":["12.00","0.05"]})");
  EXPECT_EQ(WriteJsonText(Money{7}), R"("0.07")");
}

TEST(WriteJsonText, WritesScalarsStringsAndContainersOfThem) {
  EXPECT_EQ(WriteJsonText(42), "42");
  EXPECT_EQ(WriteJsonText(static_cast<unsigned short>(7)), "7");
  EXPECT_EQ(WriteJsonText(-3LL), "-3");
  EXPECT_EQ(WriteJsonText(size_t{18}), "18");
  EXPECT_EQ(WriteJsonText(0.5f), "0.5");
  EXPECT_EQ(WriteJsonText(false), "false");
  EXPECT_EQ(WriteJsonText("a\"b"), R"("a\"b")");
  EXPECT_EQ(WriteJsonText(std::optional<int>()), "null");
  EXPECT_EQ(WriteJsonText(std::vector<std::optional<std::string>>{"x", std::nullopt}),
            R"(["x",null])");
  EXPECT_EQ(WriteJsonText(std::vector<Item>{{"a", 2}}), R"([{"sku":"a","count":2}])");
}

}  // namespace
}  // namespace lmc
