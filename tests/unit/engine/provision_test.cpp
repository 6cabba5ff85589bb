// Releases and roots in the engine: a root is made before the spec is
// written and removed again when anything after it fails; a delete removes
// only the roots jaild made; a release that roots use cannot go; a root
// cannot change once made.
#include <catch2/catch.hpp>

#include "lib/engine/engine.h"
#include "lib/model/error.h"
#include "lib/model/release.h"
#include "tests/support/fake_host.h"
#include "tests/support/temp_dir.h"

using namespace jaild;
using nlohmann::json;

namespace {

struct prov_fixture {
  test::temp_dir dir{"jaild-prov"};
  std::unique_ptr<store::store> db = store::store::open(dir / "jaild.db");
  test::fake_host host;
  std::unique_ptr<engine::engine> eng;

  prov_fixture() { open(); }
  void open() {
    engine::engine_options o;
    o.state_dir = dir.path();
    o.jails_dir = "/j";
    eng = std::make_unique<engine::engine>(*db, host, o);
    eng->load();
  }
  void add_release(const std::string& name) {
    eng->add_release({name, "/srv/" + name + ".tar", "", ""});
  }
  std::shared_ptr<const engine::jail_entry> create(const json& spec) {
    return eng->create_jail(model::spec_from_json(spec));
  }
  errc refusal(const std::function<void()>& fn, std::string* field = nullptr) {
    try {
      fn();
    } catch (const error& e) {
      if (field) *field = e.field();
      return e.code();
    }
    return errc::internal;
  }
};

json rooted(const std::string& name, const std::string& release, const std::string& mode) {
  return {{"name", name}, {"root", {{"release", release}, {"mode", mode}}}};
}

}  // namespace

TEST_CASE("provision: releases are added once, listed, and kept while roots use them",
          "[engine]") {
  prov_fixture f;
  f.add_release("bb");
  CHECK(f.host.release_dirs() == std::set<std::string>{(f.dir / "releases/bb").string()});
  CHECK(f.refusal([&] { f.add_release("bb"); }) == errc::release_exists);
  REQUIRE(f.eng->releases().size() == 1);
  CHECK(f.eng->find_release("bb")->files == 10);

  f.create(rooted("web", "bb", "thin"));
  std::string detail;
  try {
    f.eng->delete_release("bb");
    FAIL("deleted a release that a root uses");
  } catch (const error& e) {
    CHECK(e.code() == errc::release_in_use);
    detail = e.what();
  }
  CHECK(detail.find("web") != std::string::npos);
  CHECK(f.eng->find_release("bb"));

  f.eng->delete_jail("web", false);
  f.eng->delete_release("bb");
  CHECK(f.host.release_dirs().empty());
  CHECK(f.eng->releases().empty());
  CHECK(f.refusal([&] { f.eng->delete_release("bb"); }) == errc::release_not_found);

  // What the store holds survives a restart of the engine.
  f.add_release("bb2");
  f.eng.reset();
  f.open();
  CHECK(f.eng->find_release("bb2"));
}

TEST_CASE("provision: a failed import keeps nothing", "[engine]") {
  prov_fixture f;
  f.host.fail_at("import_release bb");
  CHECK(f.refusal([&] { f.add_release("bb"); }) == errc::host_failure);
  CHECK(f.eng->releases().empty());
  f.add_release("bb");  // the name is free again
  CHECK(f.eng->find_release("bb"));
}

TEST_CASE("provision: a create makes the root first and removes it when the create fails",
          "[engine]") {
  prov_fixture f;
  f.add_release("bb");
  auto web = f.create(rooted("web", "bb", "thick"));
  CHECK(web->spec.path == "/j/web");
  CHECK(f.host.roots() == std::set<std::string>{"/j/web"});
  auto row = f.db->find_root("web");
  REQUIRE(row);
  CHECK(row->state == "made");
  CHECK(row->private_dir == "/j/.jaild-" + f.db->instance_tag() + "/web");

  // The host refuses the spec after the root was made: the root goes again.
  f.host.refuse_check = "bad";
  std::string field;
  CHECK(f.refusal([&] { f.create(rooted("bad", "bb", "clone")); }, &field) ==
        errc::invalid_value);
  CHECK(field == "/cpuset");
  CHECK(f.host.roots() == std::set<std::string>{"/j/web"});
  CHECK_FALSE(f.db->find_root("bad"));
  CHECK_FALSE(f.eng->current()->find("bad"));
  const auto calls = f.host.calls();
  CHECK(std::find(calls.begin(), calls.end(), "make_root bad clone") != calls.end());
  CHECK(std::find(calls.begin(), calls.end(), "remove_root bad") != calls.end());

  // A root that cannot be made: nothing is written, nothing removed.
  f.host.fail_at("make_root bad2");
  CHECK(f.refusal([&] { f.create(rooted("bad2", "bb", "thin")); }) == errc::host_failure);
  CHECK_FALSE(f.db->find_root("bad2"));
  CHECK_FALSE(f.eng->current()->find("bad2"));

  CHECK(f.refusal([&] { f.create(rooted("web", "bb", "thick")); }) == errc::jail_exists);
  CHECK(f.refusal([&] { f.create(rooted("x", "nope", "thick")); }, &field) ==
        errc::release_not_found);
  CHECK(field == "/root/release");
  CHECK(f.refusal([&] {
    f.create({{"name", "t"}, {"root", {{"release", "bb"}, {"template", "tpl"}}}});
  }) == errc::template_not_found);
  CHECK(f.host.roots() == std::set<std::string>{"/j/web"});
}

TEST_CASE("provision: a root is made once, kept through writes that leave it out", "[engine]") {
  prov_fixture f;
  f.add_release("bb");
  f.add_release("other");
  f.create(rooted("web", "bb", "thin"));
  // A patch of another field keeps it; a replace without it (jail.conf) keeps it.
  auto patched = f.eng->patch_jail("web", {{"hostname", "web.example.org"}});
  REQUIRE(patched->spec.root);
  CHECK(patched->spec.root->release == "bb");
  auto spec = patched->spec;
  spec.root.reset();
  CHECK(f.eng->replace_jail(spec)->spec.root->mode == model::root_mode::thin);
  std::string field;
  CHECK(f.refusal([&] { f.eng->patch_jail("web", {{"root", {{"release", "other"}}}}); }, &field) ==
        errc::invalid_value);
  CHECK(field == "/root");
  CHECK(f.refusal([&] { f.eng->patch_jail("web", {{"path", "/elsewhere"}}); }, &field) ==
        errc::invalid_value);
  CHECK(field == "/path");
  // Not through an import, nor added to a jail that has none.
  f.create({{"name", "plain"}, {"path", "/p"}});
  CHECK(f.refusal([&] { f.eng->patch_jail("plain", {{"root", {{"release", "bb"}}}}); }) ==
        errc::invalid_value);
  CHECK(f.refusal([&] {
    f.eng->apply_specs({{store::store::jail_change::kind::create,
                         model::spec_from_json({{"name", "imp"}, {"path", "/i"},
                                                {"root", {{"release", "bb"}}}}),
                         {}}});
  }) == errc::invalid_value);
}

TEST_CASE("provision: a delete removes the root jaild made, never another", "[engine]") {
  prov_fixture f;
  f.add_release("bb");
  f.create(rooted("web", "bb", "thick"));
  f.create({{"name", "plain"}, {"path", "/srv/plain"}});
  f.eng->delete_jail("plain", false);
  auto calls = f.host.calls();
  CHECK(std::none_of(calls.begin(), calls.end(),
                     [](const std::string& c) { return c.rfind("remove_root", 0) == 0; }));

  // A root that cannot be removed keeps the jail as it was.
  f.host.fail_at("remove_root web");
  CHECK(f.refusal([&] { f.eng->delete_jail("web", false); }) == errc::host_failure);
  CHECK(f.eng->current()->find("web"));
  CHECK(f.db->find_root("web"));
  f.eng->delete_jail("web", false);
  CHECK(f.host.roots().empty());
  CHECK_FALSE(f.db->find_root("web"));

  // keep_root: the jail goes, its root stays (and is no longer jaild's).
  f.create(rooted("kept", "bb", "thick"));
  f.eng->delete_jail("kept", false, true);
  CHECK(f.host.roots() == std::set<std::string>{"/j/kept"});
  CHECK_FALSE(f.db->find_root("kept"));
}

TEST_CASE("provision: a root a crash left half made is removed at the next start", "[engine]") {
  prov_fixture f;
  f.db->save_root({"ghost", "/j/ghost", "/j/.jaild/ghost", "bb", "thick", "making", 0});
  f.eng->reconcile();
  const auto calls = f.host.calls();
  CHECK(std::find(calls.begin(), calls.end(), "remove_root ghost") != calls.end());
  CHECK_FALSE(f.db->find_root("ghost"));
}

TEST_CASE("provision: two jailds given one jails_dir keep their own files for roots apart",
          "[engine]") {
  prov_fixture a, b;
  a.add_release("bb");
  b.add_release("bb");
  // Same name, same jails_dir: the second one's path exists on the host in
  // truth (refused there); what must never be shared is jaild's own
  // directory, which a delete removes.
  a.create(rooted("web", "bb", "thin"));
  b.create(json{{"name", "web"}, {"path", "/k/web"}, {"root", {{"release", "bb"}, {"mode", "thin"}}}});
  const auto ra = a.db->find_root("web"), rb = b.db->find_root("web");
  REQUIRE(ra);
  REQUIRE(rb);
  REQUIRE(a.db->instance_tag() != b.db->instance_tag());
  CHECK(ra->private_dir != rb->private_dir);
  CHECK(a.eng->provisioning_info()["private_dir"] == "/j/.jaild-" + a.db->instance_tag());
}

TEST_CASE("provision: a template is a stopped jail's root, and jails made from it inherit its "
          "profile",
          "[engine]") {
  prov_fixture f;
  f.add_release("bb");
  f.create(rooted("web", "bb", "thick"));
  auto t = f.eng->add_template(model::template_request_from_json(
      {{"name", "web-t"}, {"jail", "web"}, {"profile", {{"cpuset", "0"}, {"priority", 7}}}}));
  CHECK(t.kind == "template");
  CHECK(t.base == "bb");
  CHECK(t.jail == "web");
  CHECK(t.source == "/j/web");
  CHECK(f.host.release_dirs().count((f.dir / "releases/web-t").string()));
  REQUIRE(f.eng->templates().size() == 1);
  CHECK(f.refusal([&] {
    f.eng->add_template(model::template_request_from_json({{"name", "bb"}, {"jail", "web"}}));
  }) == errc::release_exists);

  // Made from the template's copy, with its profile; the body's fields win.
  auto c1 = model::spec_from_json(f.eng->with_template_profile(
      {{"name", "c1"}, {"root", {{"template", "web-t"}, {"mode", "clone"}}}}));
  f.eng->create_jail(c1);
  const auto made = f.eng->current()->find("c1");
  REQUIRE(made);
  CHECK(made->spec.cpuset == "0");
  CHECK(made->spec.priority == 7);
  CHECK(made->spec.root->release == "bb");
  CHECK(made->spec.root->template_name == "web-t");
  CHECK(f.db->find_root("c1")->release == "web-t");
  auto c2 = model::spec_from_json(f.eng->with_template_profile(
      {{"name", "c2"}, {"cpuset", "1"}, {"root", {{"template", "web-t"}}}}));
  CHECK(c2.cpuset == "1");
  CHECK(c2.priority == 7);

  std::string field;
  CHECK(f.refusal([&] { f.create({{"name", "x"}, {"root", {{"template", "nope"}}}}); }, &field) ==
        errc::template_not_found);
  CHECK(field == "/root/template");
  // A release is not a template.
  CHECK(f.refusal([&] { f.create({{"name", "x"}, {"root", {{"template", "bb"}}}}); }) ==
        errc::template_not_found);
  CHECK(f.refusal([&] {
    f.create({{"name", "x"}, {"root", {{"template", "web-t"}, {"release", "other"}}}});
  }, &field) == errc::invalid_value);
  CHECK(field == "/root/release");
  CHECK_FALSE(f.eng->current()->find("x"));

  // In use while c1's root is made from it.
  CHECK(f.refusal([&] { f.eng->delete_release("web-t"); }) == errc::release_in_use);
  f.eng->delete_jail("c1", false);
  f.eng->delete_release("web-t");
  CHECK(f.eng->templates().empty());
  CHECK_FALSE(f.host.release_dirs().count((f.dir / "releases/web-t").string()));
}

TEST_CASE("provision: a template is made only from a stopped jail with files of its own",
          "[engine]") {
  prov_fixture f;
  f.add_release("bb");
  f.create(rooted("th", "bb", "thin"));
  std::string field;
  CHECK(f.refusal([&] {
    f.eng->add_template(model::template_request_from_json({{"name", "t"}, {"jail", "th"}}));
  }, &field) == errc::invalid_value);
  CHECK(field == "/jail");
  CHECK(f.refusal([&] {
    f.eng->add_template(model::template_request_from_json({{"name", "t"}, {"jail", "nope"}}));
  }) == errc::jail_not_found);
  f.create(rooted("web", "bb", "thick"));
  auto op = f.eng->start("web");
  op->wait();
  CHECK(f.refusal([&] {
    f.eng->add_template(model::template_request_from_json({{"name", "t"}, {"jail", "web"}}));
  }, &field) == errc::jail_running);
  CHECK(field == "/jail");
  CHECK(f.eng->templates().empty());
  CHECK_FALSE(f.host.release_dirs().count((f.dir / "releases/t").string()));
}
