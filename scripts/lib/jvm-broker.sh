# What the scripts of our JVM brokers (scripts/pulsar/, scripts/kafka/) share: resolving a
# broker's jars with Maven into a cache folder, checking Java, the class-data-sharing archive,
# finding the broker's process, and stopping it. Sourced, not run. Each function takes what
# differs between brokers as arguments and reports through the caller's `say` and `fail`.

# Prints the pid in PID_FILE when that process is running and its command line holds MARKER
# (a pid file left by a crash must not make us signal some other process).
#   jvm_broker_running_pid PID_FILE MARKER
jvm_broker_running_pid() {
  local pid_file="$1" marker="$2" pid
  [ -f "$pid_file" ] || return 1
  pid="$(cat "$pid_file" 2>/dev/null)"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' '\n' < "/proc/$pid/cmdline" | grep -qxF -- "$marker" || return 1
  echo "$pid"
}

# Copies the runtime classpath of POM into LIB, once per content of the pom (LIB/.complete holds
# its hash), offline first: with the jars in Maven's local repository this takes seconds and
# asks no registry. LIB_PROPERTY is the pom's property naming the output folder. Whole folders
# are swapped, so that brokers running from the old one keep their open jars.
#   jvm_broker_resolve_jars NAME POM LIB LIB_PROPERTY
jvm_broker_resolve_jars() {
  local name="$1" pom="$2" lib="$3" property="$4" pom_id staging
  pom_id="$(md5sum < "$pom" | cut -c1-12)"
  [ "$(cat "$lib/.complete" 2>/dev/null)" != "$pom_id" ] || return 0
  say "resolving $name jars into $lib (first run only)"
  staging="$lib.staging.$$"
  local mvn_args=(-q -B -Dstyle.color=never -f "$pom" "-D$property=$staging" dependency:copy-dependencies)
  mvn -o "${mvn_args[@]}" >/dev/null 2>&1 ||
    mvn "${mvn_args[@]}" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' ||
    { rm -rf "$staging"; fail "mvn could not resolve the jars (see above)"; }
  [ -n "$(ls "$staging" 2>/dev/null)" ] || { rm -rf "$staging"; fail "mvn copied no jars into $staging"; }
  echo "$pom_id" > "$staging/.complete"
  [ ! -d "$lib" ] || mv -T "$lib" "$lib.old.$$"
  mv -T "$staging" "$lib" 2>/dev/null || rm -rf "$staging"  # another start won the race
  rm -rf "$lib.old.$$"
}

# Fails unless JAVA is 17 or newer; prints its `-version` text (the class archive is per JVM build).
#   jvm_broker_java_version NAME JAVA
jvm_broker_java_version() {
  local name="$1" java="$2" version
  version="$("$java" -version 2>&1)"
  grep -qE 'version "(1[7-9]|[2-9][0-9])' <<<"$version" ||
    fail "$name needs Java 17 or newer: $(head -n 1 <<<"$version")"
  echo "$version"
}

# Class data sharing: the first start records the loaded classes into an archive when the JVM
# exits (jvm_broker_stop publishes it only after a clean exit); later starts map it and get ready
# sooner. One archive per JVM build and jar set. Prints the JVM flag to use, if any.
#   jvm_broker_cds_flag CACHE_DIR POM JAVA_VERSION_TEXT DATA_DIR ENABLED
jvm_broker_cds_flag() {
  local cache="$1" pom="$2" java_version="$3" data_dir="$4" enabled="$5" archive
  archive="$cache/cds-$(md5sum < "$pom" | cut -c1-12)-$(md5sum <<<"$java_version" | cut -c1-12).jsa"
  if [ -f "$archive" ]; then
    echo "-XX:SharedArchiveFile=$archive"
  elif [ "$enabled" = 1 ]; then
    echo "$archive" > "$data_dir/classes.jsa.target"
    echo "-XX:ArchiveClassesAtExit=$data_dir/classes.jsa"
  fi
}

# Stops the broker: TERM, then KILL after TIMEOUT seconds; publishes a class archive its clean
# exit wrote; removes the pid file and instance.env, and DATA_DIR unless KEEP_DATA is 1.
# Idempotent: nothing running is fine.
#   jvm_broker_stop PID_FILE MARKER DATA_DIR TIMEOUT KEEP_DATA
jvm_broker_stop() {
  local pid_file="$1" marker="$2" data_dir="$3" timeout="$4" keep="$5" pid waited target
  if pid="$(jvm_broker_running_pid "$pid_file" "$marker")"; then
    kill -TERM "$pid"
    waited=0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt $((timeout * 5)) ]; do
      sleep 0.2
      waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
      say "pid $pid still running after ${timeout}s: KILL"
      kill -KILL "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    elif [ -s "$data_dir/classes.jsa" ] && [ -s "$data_dir/classes.jsa.target" ]; then
      # Atomically, and never over an archive another instance published first.
      target="$(cat "$data_dir/classes.jsa.target")"
      cp "$data_dir/classes.jsa" "$target.$$" && mv -n "$target.$$" "$target" || true
      rm -f "$target.$$"
    fi
    say "stopped (pid $pid)"
  else
    say "not running"
  fi
  rm -f "$pid_file" "$data_dir/instance.env" "$data_dir"/classes.jsa*

  if [ "$keep" = 1 ]; then
    [ ! -d "$data_dir" ] || say "data kept in $data_dir"
  elif [ -d "$data_dir" ]; then
    rm -rf "$data_dir"
    say "removed $data_dir"
  fi
}
