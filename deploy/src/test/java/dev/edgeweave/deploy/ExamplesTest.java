package dev.edgeweave.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The apps in examples/ load as bundles and route as their READMEs say. */
class ExamplesTest {

  private static AppBundle example(String name) throws BundleException {
    return AppBundle.fromDirectory(Fixtures.examplesDir().resolve(name));
  }

  @Test
  void helloCShouldServeHello() throws Exception {
    AppBundle app = example("hello-c");

    assertEquals("hello-c", app.name());
    assertEquals(
        List.of(new HttpTrigger("/hello", "hello-c", WagiExecutor.defaults())),
        app.manifest().triggers());
    assertEquals("main.wasm", app.components().get("hello-c").source());
    assertEquals(
        List.of("make"),
        app.manifest().components().get("hello-c").build().orElseThrow().commands());
    assertEquals("hello-c", app.routes().match("/hello").orElseThrow().componentId());
    assertTrue(app.routes().match("/hello/more").isEmpty());
  }

  @Test
  void echoCShouldMountStaticAndSetItsEnvironment() throws Exception {
    AppBundle app = example("echo-c");

    BundledComponent echo = app.components().get("echo");
    assertEquals(List.of("/static/banner.txt"), List.copyOf(echo.files().keySet()));
    assertTrue(
        new String(echo.files().get("/static/banner.txt"), StandardCharsets.UTF_8)
            .contains("static/banner.txt"));
    assertEquals(
        Map.of("GREETING", "Hello from echo-c"),
        app.manifest().components().get("echo").environment());
    RouteMatch m = app.routes().match("/echo/some/path").orElseThrow();
    assertEquals("echo", m.componentId());
    assertEquals("/some/path", m.pathInfo());
  }

  @Test
  void routesWatShouldRouteEachKindOfRoute() throws Exception {
    AppBundle app = example("routes-wat");

    assertEquals(List.of("home", "env", "user"), List.copyOf(app.components().keySet()));
    assertEquals("home", app.routes().match("/").orElseThrow().componentId());
    assertEquals("/a/b", app.routes().match("/env/a/b").orElseThrow().pathInfo());
    RouteMatch user = app.routes().match("/users/42").orElseThrow();
    assertEquals(Map.of("id", "42"), user.pathParams());
    assertEquals("/users/:id", user.matchedRoute());
    RouteMatch posts = app.routes().match("/users/42/posts/7").orElseThrow();
    assertEquals("/users/:id/...", posts.matchedRoute());
    assertEquals("/posts/7", posts.pathInfo());
    assertTrue(app.routes().match("/other").isEmpty());
    assertEquals(List.of(), app.routes().warnings());
  }

  @Test
  void everyExampleShouldHaveAReadmeAndLoad() throws Exception {
    try (var dirs = Files.list(Fixtures.examplesDir())) {
      List<String> names =
          dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
      assertTrue(names.containsAll(List.of("echo-c", "hello-c", "routes-wat")), names.toString());
      for (String name : names) {
        assertTrue(
            Files.isRegularFile(Fixtures.examplesDir().resolve(name).resolve("README.md")), name);
        assertEquals(name, example(name).name());
        assertEquals(
            name,
            AppBundle.fromZip(AppBundle.zipDirectory(Fixtures.examplesDir().resolve(name))).name());
      }
    }
  }
}
