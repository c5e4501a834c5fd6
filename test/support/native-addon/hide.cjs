// Preloaded with --require: makes the pulsar-client addon fail to load, as it does where its
// install could not download the prebuilt binary, so that tests see what `auto` and `native` do then.
const load = process.dlopen
process.dlopen = function (module, filename, ...rest) {
  if (/pulsar/i.test(filename)) throw new Error(`${filename}: cannot open shared object file: No such file or directory`)
  return load.call(this, module, filename, ...rest)
}
