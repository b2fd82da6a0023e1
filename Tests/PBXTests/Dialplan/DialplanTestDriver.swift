@testable import PBX

/// Plays the channel engine for tests: applies Set, answers `next` until Dial, Hangup or the end.
struct DialplanTestDriver {
    var execution: DialplanExecution
    var variables: DialplanVariables
    /// Every step, rendered as `context,exten,priority App(data)` (handled ones marked `*`).
    var trace: [String] = []

    init(_ dialplan: Dialplan, context: String, exten: String, priority: Int = 1, variables: DialplanVariables = DialplanVariables()) {
        execution = DialplanExecution(dialplan: dialplan, context: context, exten: exten, priority: priority)
        self.variables = variables
    }

    /// Runs until an application in `stopAt` is handed out (returned) or the dialplan hangs up (nil).
    mutating func run(until stopAt: Set<String> = ["Dial", "Hangup"], limit: Int = 100) -> DialplanStep {
        for _ in 0..<limit {
            let step = execution.next(variables: variables)
            switch step {
            case .application(let call):
                trace.append("\(call.location) \(call.application)(\(call.data))")
                if let assignment = call.setAssignment { variables.set(assignment.name, assignment.value) }
                if stopAt.contains(call.application) { return step }
            case .handled(let call):
                trace.append("\(call.location) *\(call.application)(\(call.data))")
            case .invalidExtension(let invalid):
                trace.append("invalid \(invalid)")
                variables.set("INVALID_EXTEN", invalid.exten)
            case .hangup:
                return step
            }
        }
        return .hangup(.loopDetected(execution.location))
    }
}
