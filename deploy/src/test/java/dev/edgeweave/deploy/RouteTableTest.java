package dev.edgeweave.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RouteTableTest {

  private static HttpTrigger t(String route, String component) {
    return new HttpTrigger(route, component, WagiExecutor.defaults());
  }

  private static String componentFor(RouteTable table, String path) {
    return table.match(path).map(RouteMatch::componentId).orElse("<none>");
  }

  @Test
  void exactRoutesShouldMatchOnlyTheirPath() {
    RouteTable table = RouteTable.of(List.of(t("/foo", "foo"), t("/foo/bar", "foobar")));

    assertEquals("foo", componentFor(table, "/foo"));
    assertEquals("foobar", componentFor(table, "/foo/bar"));
    assertEquals("<none>", componentFor(table, "/foo/baz"));
    assertEquals("<none>", componentFor(table, "/fo"));
    assertEquals("<none>", componentFor(table, "/foobar"));
    assertEquals("<none>", componentFor(table, "/"));
  }

  @Test
  void exactRouteShouldAlsoAnswerItsPathWithOneTrailingSlash() {
    RouteTable table = RouteTable.of(List.of(t("/foo", "foo")));

    assertEquals("foo", componentFor(table, "/foo/"));
    assertEquals("<none>", componentFor(table, "/foo//"));
  }

  @Test
  void rootRouteShouldMatchOnlyTheRoot() {
    RouteTable table = RouteTable.of(List.of(t("/", "root")));

    RouteMatch m = table.match("/").orElseThrow();
    assertEquals("root", m.componentId());
    assertEquals("/", m.matchedRoute());
    assertEquals("/", m.componentRoute());
    assertEquals("", m.pathInfo());
    assertEquals("<none>", componentFor(table, "/a"));
  }

  @Test
  void catchAllWildcardShouldMatchEverything() {
    RouteTable table = RouteTable.of(List.of(t("/...", "all")));

    for (String path : List.of("/", "/foo/bar", "/abc/", "/this/should/be/captured")) {
      assertEquals("all", componentFor(table, path), path);
    }
    RouteMatch m = table.match("/1/2/3").orElseThrow();
    assertEquals("/1/2/3", m.pathInfo());
    assertEquals("", m.componentRoute());
    assertEquals("/...", m.matchedRoute());
    assertEquals("/", table.match("/").orElseThrow().pathInfo());
  }

  @Test
  void wildcardPathInfoShouldKeepTrailingSlashesLikeSpin() {
    RouteTable table = RouteTable.of(List.of(t("/test/...", "test")));

    assertEquals("", table.match("/test").orElseThrow().pathInfo());
    assertEquals("/", table.match("/test/").orElseThrow().pathInfo());
    assertEquals("/hello", table.match("/test/hello").orElseThrow().pathInfo());
    assertEquals("/hello/", table.match("/test/hello/").orElseThrow().pathInfo());
    assertEquals("<none>", componentFor(table, "/testing"));
  }

  @Test
  void exactRouteShouldBeatWildcard() {
    RouteTable table = RouteTable.of(List.of(t("/...", "wildcard"), t("/one", "one-exact")));

    assertEquals("one-exact", componentFor(table, "/one"));
    assertEquals("wildcard", componentFor(table, "/two"));
  }

  @Test
  void exactRouteShouldBeatItsOwnWildcard() {
    RouteTable table = RouteTable.of(List.of(t("/foo/...", "below"), t("/foo", "exact")));

    assertEquals("exact", componentFor(table, "/foo"));
    assertEquals("below", componentFor(table, "/foo/x"));
  }

  @Test
  void longestWildcardPrefixShouldWinRegardlessOfDeclarationOrder() {
    List<HttpTrigger> triggers =
        new ArrayList<>(
            List.of(
                t("/one/...", "one"),
                t("/one/two/...", "onetwo"),
                t("/one/two/three/...", "onetwothree"),
                t("/...", "all")));
    Random random = new Random(42);
    for (int round = 0; round < 20; round++) {
      Collections.shuffle(triggers, random);
      RouteTable table = RouteTable.of(triggers);

      assertEquals("onetwothree", componentFor(table, "/one/two/three/four"), triggers.toString());
      assertEquals("onetwothree", componentFor(table, "/one/two/three"), triggers.toString());
      assertEquals("onetwo", componentFor(table, "/one/two/thre"), triggers.toString());
      assertEquals("one", componentFor(table, "/one/x"), triggers.toString());
      assertEquals("all", componentFor(table, "/other"), triggers.toString());
    }
  }

  @Test
  void namedSegmentsShouldBeCaptured() {
    RouteTable table =
        RouteTable.of(List.of(t("/1/:two/3", "exact"), t("/users/:userid/...", "user")));

    RouteMatch exact = table.match("/1/2/3").orElseThrow();
    assertEquals(Map.of("two", "2"), exact.pathParams());
    assertEquals("", exact.pathInfo());

    RouteMatch user = table.match("/users/42/posts/7").orElseThrow();
    assertEquals(Map.of("userid", "42"), user.pathParams());
    assertEquals("/posts/7", user.pathInfo());
    assertEquals("/users/:userid/...", user.matchedRoute());
    assertEquals("/users/:userid", user.componentRoute());
    assertEquals("/users/:userid/...", user.rawComponentRoute());
  }

  @Test
  void namedSegmentShouldNotMatchAnEmptySegment() {
    RouteTable table = RouteTable.of(List.of(t("/users/:id", "user")));

    assertEquals("<none>", componentFor(table, "/users/"));
    assertEquals("<none>", componentFor(table, "/users//"));
    assertEquals("user", componentFor(table, "/users/x"));
  }

  @Test
  void literalSegmentShouldBeatNamedSegmentWhichShouldBeatWildcard() {
    List<HttpTrigger> triggers =
        new ArrayList<>(
            List.of(t("/users/...", "any"), t("/users/:id", "one"), t("/users/me", "me")));
    for (int round = 0; round < 6; round++) {
      Collections.rotate(triggers, 1);
      if (round == 3) {
        Collections.reverse(triggers);
      }
      RouteTable table = RouteTable.of(triggers);

      assertEquals("me", componentFor(table, "/users/me"), triggers.toString());
      assertEquals("one", componentFor(table, "/users/42"), triggers.toString());
      assertEquals("any", componentFor(table, "/users/42/posts"), triggers.toString());
    }
  }

  @Test
  void matchShouldReportEveryRouteValueLikeSpin() {
    RouteTable table = RouteTable.of(List.of(t("/foo/...", "foo")));

    RouteMatch m = table.match("/foo/bar").orElseThrow();

    assertEquals(
        new RouteMatch(
            t("/foo/...", "foo"), "/foo/...", "/foo", "/foo/...", "/", "/bar", "/bar", Map.of()),
        m);
  }

  @Test
  void baseShouldBePrependedToEveryRoute() {
    RouteTable table = RouteTable.of("/base/", List.of(t("/foo", "foo"), t("/bar/...", "bar")));

    assertEquals("<none>", componentFor(table, "/foo"));
    assertEquals("foo", componentFor(table, "/base/foo"));
    RouteMatch bar = table.match("/base/bar/x/y").orElseThrow();
    assertEquals("/base/bar/...", bar.matchedRoute());
    assertEquals("/bar", bar.componentRoute());
    assertEquals("/bar/...", bar.rawComponentRoute());
    assertEquals("/base", bar.basePath());
    assertEquals("/x/y", bar.pathInfo());
    assertEquals("/base", table.base());
  }

  @Test
  void rootRouteUnderABaseShouldMatchTheBaseItself() {
    RouteTable table = RouteTable.of("/api", List.of(t("/", "root"), t("/...", "rest")));

    assertEquals("root", componentFor(table, "/api"));
    assertEquals("root", componentFor(table, "/api/"));
    assertEquals("rest", componentFor(table, "/api/x"));
    assertEquals("<none>", componentFor(table, "/"));
    assertEquals("/api", table.match("/api").orElseThrow().matchedRoute());
  }

  @Test
  void duplicateRoutesShouldLetTheLastOneWinWithAWarning() {
    RouteTable table =
        RouteTable.of(
            List.of(t("/", "root"), t("/foo", "first"), t("/foo", "second"), t("/w/...", "w")));

    assertEquals("second", componentFor(table, "/foo"));
    assertEquals(
        List.of(
            "route '/foo' is declared more than once: component 'second' (declared last) serves"
                + " it, component 'first' is unreachable on it"),
        table.warnings());
    assertEquals(
        List.of("root", "second", "w"),
        table.triggers().stream().map(HttpTrigger::componentId).toList());
  }

  @Test
  void routesDifferingOnlyByATrailingSlashShouldCountAsDuplicates() {
    RouteTable table = RouteTable.of(List.of(t("/foo/", "first"), t("/foo", "second")));

    assertEquals("second", componentFor(table, "/foo"));
    assertEquals(1, table.warnings().size());
  }

  @Test
  void routesMatchingTheSamePathsShouldWarnAndKeepTheFirst() {
    RouteTable table = RouteTable.of(List.of(t("/u/:a", "a"), t("/u/:b", "b")));

    assertEquals("a", componentFor(table, "/u/1"));
    assertEquals(
        List.of(
            "routes '/u/:a' and '/u/:b' match the same paths: '/u/:a' (declared first) serves them"),
        table.warnings());
  }

  @Test
  void tableWithoutDuplicatesShouldHaveNoWarnings() {
    RouteTable table =
        RouteTable.of(List.of(t("/", "a"), t("/foo", "b"), t("/bar", "c"), t("/whee/...", "d")));

    assertEquals(List.of(), table.warnings());
    assertEquals(4, table.triggers().size());
  }

  @Test
  void pathInfoShouldBePercentDecodedAndRawPathInfoNot() {
    RouteTable table = RouteTable.of(List.of(t("/files/...", "files")));

    RouteMatch m = table.match("/files/a%20b/caf%C3%A9%2Fx%zz%").orElseThrow();

    assertEquals("/a%20b/caf%C3%A9%2Fx%zz%", m.rawPathInfo());
    assertEquals("/a b/café/x%zz%", m.pathInfo());
  }

  @Test
  void invalidUtf8InPathInfoShouldBecomeReplacementCharacters() {
    RouteTable table = RouteTable.of(List.of(t("/...", "all")));

    assertEquals("/\uFFFDx", table.match("/%FFx").orElseThrow().pathInfo());
  }

  @Test
  void queryStringShouldBeIgnoredWhenMatching() {
    RouteTable table = RouteTable.of(List.of(t("/foo", "foo"), t("/bar/...", "bar")));

    assertEquals("foo", componentFor(table, "/foo?x=1"));
    assertEquals("/x", table.match("/bar/x?y=/z").orElseThrow().pathInfo());
  }

  @Test
  void pathNotStartingWithSlashShouldNotMatch() {
    RouteTable table = RouteTable.of(List.of(t("/...", "all")));

    assertEquals(Optional.empty(), table.match("foo"));
  }

  @Test
  void invalidRoutesAndBasesShouldBeRefused() {
    assertThrows(IllegalArgumentException.class, () -> RouteTable.of(List.of(t("foo", "x"))));
    assertThrows(IllegalArgumentException.class, () -> RouteTable.of(List.of(t("/a/.../b", "x"))));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> RouteTable.of("/:x", List.of()));
    assertTrue(e.getMessage().contains("base '/:x'"), e.getMessage());
  }

  @Test
  void tableFromManifestShouldUseItsBase() throws Exception {
    AppManifest m =
        SpinManifest.parse(
            Fixtures.manifest("based", "/hello", "")
                .replace(
                    "[[trigger.http]]",
                    "[application.trigger.http]\nbase = \"/app\"\n\n[[trigger.http]]"));

    RouteTable table = RouteTable.of(m);

    assertEquals("web", componentFor(table, "/app/hello"));
    assertEquals("<none>", componentFor(table, "/hello"));
  }
}
