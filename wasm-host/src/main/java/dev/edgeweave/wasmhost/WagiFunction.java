package dev.edgeweave.wasmhost;

import dev.edgeweave.wasmhost.GuestException.Kind;
import dev.edgeweave.wasmhost.internal.CgiResponse;
import dev.edgeweave.wasmhost.internal.FileTree;
import dev.edgeweave.wasmhost.internal.GuestRunner;
import dev.edgeweave.wasmhost.internal.WagiEnvironment;
import dev.edgeweave.wasmhost.internal.WasiContext;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a wasm32-wasi program as a WAGI handler, the way Spin's {@code executor = { type = "wagi" }}
 * does: request data in the CGI environment and argv, the body on stdin, a CGI response on stdout.
 * Created by {@link WasmEngine#prepare}; thread-safe.
 */
public final class WagiFunction implements GuestFunction {
  private static final Logger GUEST_LOG = LoggerFactory.getLogger("dev.edgeweave.wasmhost.guest");

  private final String digest;
  private final ComponentSpec spec;
  private final FileTree files;
  private final GuestRunner runner;
  private final int maxStderrBytes;

  WagiFunction(String digest, ComponentSpec spec, GuestRunner runner, int maxStderrBytes) {
    this.digest = digest;
    this.spec = spec;
    this.files = FileTree.of(spec.files());
    this.runner = runner;
    this.maxStderrBytes = maxStderrBytes;
  }

  @Override
  public GuestResponse invoke(GuestRequest request) throws GuestException {
    Map<String, String> componentEnv = spec.environment();
    WasiContext context =
        new WasiContext(
            () -> WagiEnvironment.argv(spec.argvTemplate(), request),
            () -> WagiEnvironment.environment(request, componentEnv),
            request.body(),
            spec.limits().maxStdoutBytes(),
            maxStderrBytes,
            files,
            spec.transientWrites(),
            spec.limits().maxTransientWriteBytes());
    context.withCapabilities(spec.capabilities());
    try {
      runner.run(context);
    } finally {
      if (context.stderrBytes() > 0 && GUEST_LOG.isDebugEnabled()) {
        GUEST_LOG.debug("component '{}' stderr: {}", spec.id(), context.stderrTail(4096).strip());
      }
    }
    try {
      return CgiResponse.parse(context.stdout(), context.stdoutLength());
    } catch (CgiResponse.InvalidResponse e) {
      throw new GuestException(Kind.BAD_RESPONSE, spec.id(), e.getMessage());
    }
  }

  @Override
  public String moduleDigest() {
    return digest;
  }

  /** The component this function runs. */
  public ComponentSpec spec() {
    return spec;
  }
}
