import FuzzerDriver
import PBX

/// libFuzzer entry point: a whole extensions.conf (an operator's custom dialplan, or the text the
/// generator writes from provisioned data), parsed by `DialplanParser` and, when it parses, run
/// from `s` and `100` in its first two contexts for a bounded number of steps. Each step
/// substitutes and evaluates its arguments, so expressions are reached here too, but the per-input
/// cost is a parse and up to 128 steps: the expressions themselves are `FuzzDialplan`'s.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDialplanRun(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let dialplan = try? DialplanParser.parse(text) else { return 0 }
    for context in dialplan.contexts.keys.sorted().prefix(2) {
        for exten in ["s", "100"] {
            _ = dialplan.canMatch(context: context, exten: exten)
            _ = dialplan.findLabel(context: context, exten: exten, label: "start")
            var execution = DialplanExecution(dialplan: dialplan, context: context, exten: exten)
            for _ in 0..<maximumSteps where !execution.isFinished {
                _ = execution.next(variables: variables)
            }
        }
    }
    return 0
}

/// Steps run per entry point: a dialplan may legitimately loop through applications forever
/// (the engine runs one step per event), so the harness stops after this many.
private let maximumSteps = 32

/// Channel variables the dialplan can refer to, including one that refers to itself (`LOOP`) and
/// one that holds an expression (`B`).
private let variables = DialplanVariables(
    ["A": "1", "B": "$[${A}+2]", "LOOP": "${LOOP}", "NAME": "fuzz", "__INHERITED": "x,y", "EMPTY": ""],
    callerIDNumber: "100", callerIDName: "Fuzz \"Tester\"", builtins: ["CHANNEL": "PJSIP/100-00000001"])

/// The process entry point (SwiftPM links `main` to `FuzzDialplanRun_main`): runs libFuzzer's driver.
@_cdecl("FuzzDialplanRun_main")
public func fuzzDialplanRunMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzDialplanRun(data!, size) }
}
