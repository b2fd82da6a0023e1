// Benchmarks for the AMI layer. Prints figures; asserts nothing.
//
//   AMIBenchmarks decoder                        frame decoder messages/s
//   AMIBenchmarks filter                         worst-case substring event filters, µs per event
//   AMIBenchmarks do-nothing-server PORT         a server that answers every message with a fixed Ping reply
//   AMIBenchmarks ping HOST PORT USER SECRET MODE SECONDS|COUNT
//                                                MODE sequential: round trips/s over SECONDS
//                                                MODE pipelined: COUNT pings written without waiting, responses/s
import Foundation

let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "decoder":
    DecoderBenchmark.run()
case "filter":
    FilterBenchmark.run()
case "do-nothing-server":
    guard let port = arguments.dropFirst().first.flatMap({ Int($0) }) else { usage() }
    try DoNothingServer.run(port: port)
case "ping":
    let rest = Array(arguments.dropFirst())
    guard rest.count == 6, let port = Int(rest[1]), let amount = Int(rest[5]) else { usage() }
    let client = try PingClient(host: rest[0], port: port)
    try client.login(user: rest[2], secret: rest[3])
    switch rest[4] {
    case "sequential":
        let (count, seconds) = try client.sequential(seconds: Double(amount))
        print(String(format: "sequential pings: %d in %.2f s = %.0f round trips/s", count, seconds, Double(count) / seconds))
    case "pipelined":
        let seconds = try client.pipelined(count: amount)
        print(String(format: "pipelined pings: %d in %.2f s = %.0f responses/s", amount, seconds, Double(amount) / seconds))
    default:
        usage()
    }
default:
    usage()
}

func usage() -> Never {
    FileHandle.standardError.write(
        Data("usage: AMIBenchmarks decoder | filter | do-nothing-server PORT | ping HOST PORT USER SECRET sequential|pipelined SECONDS|COUNT\n".utf8))
    exit(2)
}
