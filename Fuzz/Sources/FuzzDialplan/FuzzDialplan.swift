import FuzzerDriver
import PBX

/// libFuzzer entry point: dialplan text from an operator or an AMI client (Originate `Data`,
/// `Setvar`, `GetVar`'s `${...}`, custom dialplan), taken as an `$[...]` expression, as text with
/// `${...}` substitutions, as application arguments and as a whole extensions.conf, which is
/// then run for a bounded number of steps. The first line is also an extension pattern matched
/// against the second.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDialplan(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let variables = DialplanVariables(
        ["A": "1", "B": "$[${A}+2]", "LOOP": "${LOOP}", "NAME": "fuzz", "__INHERITED": "x,y", "EMPTY": ""],
        callerIDNumber: "100", callerIDName: "Fuzz \"Tester\"", builtins: ["CHANNEL": "PJSIP/100-00000001"])

    _ = DialplanExpression.evaluate(text, variables: variables)
    _ = DialplanSubstitution.substitute(text, variables: variables)
    _ = GotoIfCondition(text).branch
    _ = GotoIfCondition.isTrue(text)
    _ = GotoTarget(text)
    _ = DialArguments(text).option("L")
    if let assignment = SetAssignment(text) {
        _ = (assignment.isFunction, assignment.inheritance, assignment.baseName)
    }
    _ = ApplicationArguments.split(text)
    _ = ApplicationArguments.split(text, delimiter: "|", limit: 3)
    _ = ApplicationArguments.scanInteger(text)
    _ = ApplicationArguments.leadingInteger(text)

    let lines = text.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
    if lines.count >= 2 {
        let pattern = ExtensionPattern(String(lines[0]))
        let digits = String(lines[1])
        _ = (pattern.matches(digits), pattern.canMatch(digits), pattern.matchesPrefix(digits))
        _ = pattern.order(comparedTo: ExtensionPattern(digits))
    }

    if let dialplan = try? DialplanParser.parse(text) {
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
    }
    return 0
}

/// Steps run per entry point: a dialplan may legitimately loop through applications forever
/// (the engine runs one step per event), so the harness stops after this many.
private let maximumSteps = 32

/// The process entry point (SwiftPM links `main` to `FuzzDialplan_main`): runs libFuzzer's driver.
@_cdecl("FuzzDialplan_main")
public func fuzzDialplanMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzDialplan(data!, size) }
}
