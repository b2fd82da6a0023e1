import FuzzerDriver
import PBX

/// libFuzzer entry point: one piece of dialplan text from an operator or an AMI client (Originate
/// `Data`, `Setvar`, `GetVar`'s `${...}`, an application's arguments), taken as an `$[...]`
/// expression, as text with `${...}` substitutions (dialplan functions included) and by the
/// argument parsers of Goto, GotoIf, Dial and Set. The first line is also an extension pattern
/// matched against the second. The work per input is proportional to the input; whole dialplans,
/// parsed and run, are `FuzzDialplanRun`'s.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDialplan(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)

    _ = DialplanExpression.evaluate(text, variables: fuzzVariables)
    _ = DialplanSubstitution.substitute(text, variables: fuzzVariables)
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
    return 0
}

/// Channel variables the input can refer to, including one that refers to itself (`LOOP`) and
/// one that holds an expression (`B`).
private let fuzzVariables = DialplanVariables(
    ["A": "1", "B": "$[${A}+2]", "LOOP": "${LOOP}", "NAME": "fuzz", "__INHERITED": "x,y", "EMPTY": ""],
    callerIDNumber: "100", callerIDName: "Fuzz \"Tester\"", builtins: ["CHANNEL": "PJSIP/100-00000001"])

/// The process entry point (SwiftPM links `main` to `FuzzDialplan_main`): runs libFuzzer's driver.
@_cdecl("FuzzDialplan_main")
public func fuzzDialplanMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzDialplan(data!, size) }
}
