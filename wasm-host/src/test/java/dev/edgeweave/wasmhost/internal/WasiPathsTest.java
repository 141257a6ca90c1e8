package dev.edgeweave.wasmhost.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WasiPathsTest {
  @ParameterizedTest
  @ValueSource(strings = {"..", "../x", "a/../../x", "/etc/passwd", "./../x", "a/b/../../.."})
  void pathsThatLeaveTheDirectoryEscape(String path) {
    assertTrue(Wasi.escapes(path), path);
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "a/b", "a/../b", "./a", "a/b/../..", "a//b", ""})
  void pathsThatStayInsideDoNotEscape(String path) {
    assertFalse(Wasi.escapes(path), path);
  }

  @Test
  void everyPreview1FunctionIsProvided() {
    List<String> expected =
        List.of(
            "args_get",
            "args_sizes_get",
            "clock_res_get",
            "clock_time_get",
            "environ_get",
            "environ_sizes_get",
            "fd_advise",
            "fd_allocate",
            "fd_close",
            "fd_datasync",
            "fd_fdstat_get",
            "fd_fdstat_set_flags",
            "fd_fdstat_set_rights",
            "fd_filestat_get",
            "fd_filestat_set_size",
            "fd_filestat_set_times",
            "fd_pread",
            "fd_prestat_dir_name",
            "fd_prestat_get",
            "fd_pwrite",
            "fd_read",
            "fd_readdir",
            "fd_renumber",
            "fd_seek",
            "fd_sync",
            "fd_tell",
            "fd_write",
            "path_create_directory",
            "path_filestat_get",
            "path_filestat_set_times",
            "path_link",
            "path_open",
            "path_readlink",
            "path_remove_directory",
            "path_rename",
            "path_symlink",
            "path_unlink_file",
            "poll_oneoff",
            "proc_exit",
            "proc_raise",
            "random_get",
            "sched_yield",
            "sock_accept",
            "sock_recv",
            "sock_send",
            "sock_shutdown");

    assertEquals(expected, Wasi.functionNames());
  }

  @Test
  void theClientAddressLosesItsPort() {
    assertEquals("10.0.0.1", WagiEnvironment.clientIp("10.0.0.1:80"));
    assertEquals("::1", WagiEnvironment.clientIp("[::1]:80"));
    assertEquals("::1", WagiEnvironment.clientIp("::1"));
    assertEquals("10.0.0.1", WagiEnvironment.clientIp("10.0.0.1"));
  }

  @Test
  void percentDecodingIsUtf8AndLeavesBrokenEscapesAlone() {
    assertEquals("/a b/\u00e9", WagiEnvironment.percentDecode("/a%20b/%C3%A9"));
    assertEquals("/100%", WagiEnvironment.percentDecode("/100%"));
    assertEquals("/%zz", WagiEnvironment.percentDecode("/%zz"));
  }
}
