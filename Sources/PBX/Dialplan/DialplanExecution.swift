/// Runs a channel through the dialplan, one application at a time (`main/pbx.c:__ast_pbx_run()`).
///
/// The channel engine calls `next(variables:)`, performs the returned step, and calls again.
/// Goto and GotoIf are carried out here; every other application goes back to the engine with its
/// data substituted. Falling off the end of an extension hangs up; an unknown extension goes to `i`
/// when the context has one, else hangs up. Time does not appear: applications that wait are the engine's.
public struct DialplanExecution: Sendable {
    /// Applications the engine runs, plus Goto and GotoIf which the interpreter runs itself.
    public static let standardApplications = [
        "Answer", "Busy", "Congestion", "Dial", "Goto", "GotoIf", "Hangup", "NoOp", "Progress", "Ringing", "Set", "Wait",
    ]
    /// Goto/GotoIf steps in a row, with no other application between them, before the call is ended.
    public static let maximumConsecutiveJumps = 1_000

    private enum State {
        /// Nothing has run yet: an invalid start falls back to `s`, then to context `default`.
        case starting
        /// Run the priority at `location`.
        case ready
        /// An application was handed out: continue at the next priority.
        case afterApplication
        case finished(DialplanHangupReason)
    }

    public let dialplan: Dialplan
    /// Where the channel is (the priority about to run, or the one that last ran).
    public private(set) var location: DialplanLocation
    private var state: State = .starting
    private var consecutiveJumps = 0
    private let applications: [String: String]

    /// A channel entering the dialplan at `context`, `exten`, `priority` (an Originate or a Local `;2`).
    public init(
        dialplan: Dialplan, context: String, exten: String, priority: Int = 1,
        applications: [String] = DialplanExecution.standardApplications
    ) {
        self.dialplan = dialplan
        self.location = DialplanLocation(context: context, exten: exten, priority: priority)
        var names: [String: String] = [:]
        for name in applications + ["Goto", "GotoIf"] { names[name.lowercased()] = name }
        self.applications = names
    }

    /// True once a `.hangup` step has been returned.
    public var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    /// Jumps to a location, as AMI Redirect and Originate do; the next `next` runs exactly that priority.
    public mutating func goto(context: String, exten: String, priority: Int) {
        location = DialplanLocation(context: context, exten: exten, priority: priority)
        state = .ready
        consecutiveJumps = 0
    }

    /// The next thing the channel must do. `variables` supplies channel variables and functions;
    /// `EXTEN`, `CONTEXT`, `PRIORITY` and `[globals]` are added here.
    public mutating func next(variables: any DialplanVariableSource) -> DialplanStep {
        switch state {
        case .finished(let reason):
            return .hangup(reason)
        case .starting:
            state = .ready
            if !dialplan.exists(context: location.context, exten: location.exten, priority: location.priority) {
                location.exten = "s"
                location.priority = 1
                if !dialplan.exists(context: location.context, exten: "s") { location.context = "default" }
            }
        case .afterApplication:
            let (next, overflow) = location.priority.addingReportingOverflow(1)
            guard !overflow else { return finish(.endOfExtension(location)) }
            location.priority = next
            state = .ready
        case .ready:
            break
        }
        return runCurrentPriority(variables: variables)
    }

    private mutating func runCurrentPriority(variables: any DialplanVariableSource) -> DialplanStep {
        guard let match = dialplan.find(context: location.context, exten: location.exten, priority: location.priority) else {
            return leaveMissingPriority()
        }
        guard let name = applications[match.priority.application.lowercased()] else {
            return finish(.unknownApplication(match.priority.application, location))
        }
        let scope = ExecutionVariables(base: variables, location: location, globals: dialplan.globals)
        let data = DialplanSubstitution.substitute(match.priority.data, variables: scope)
        let call = DialplanApplicationCall(application: name, data: data, location: location)
        switch name {
        case "Goto":
            return jump(call, to: data)
        case "GotoIf":
            guard let branch = GotoIfCondition(data).branch, !branch.isEmpty else {
                state = .afterApplication
                return .handled(call)
            }
            return jump(call, to: branch)
        default:
            consecutiveJumps = 0
            state = .afterApplication
            return .application(call)
        }
    }

    /// `__ast_pbx_run()` when no priority is found: invalid extension (`i` or hang up) or fall-through.
    private mutating func leaveMissingPriority() -> DialplanStep {
        if dialplan.exists(context: location.context, exten: location.exten, priority: 1) {
            return finish(.endOfExtension(location))
        }
        guard dialplan.exists(context: location.context, exten: "i") else {
            return finish(.invalidExtension(location))
        }
        let invalid = location
        location = DialplanLocation(context: location.context, exten: "i", priority: 1)
        return .invalidExtension(invalid: invalid)
    }

    /// `pbx_parseable_goto()`: the move happens now; a bad target ends the call after Newexten.
    private mutating func jump(_ call: DialplanApplicationCall, to text: String) -> DialplanStep {
        consecutiveJumps += 1
        guard consecutiveJumps <= Self.maximumConsecutiveJumps else { return finish(.loopDetected(location)) }
        guard let target = GotoTarget(text), let destination = resolve(target) else {
            state = .finished(.gotoFailed(text, location))
            return .handled(call)
        }
        location = destination
        state = .ready
        return .handled(call)
    }

    /// Where `target` leads from the current location; nil for an unknown label.
    public func resolve(_ target: GotoTarget) -> DialplanLocation? {
        let context = target.context.flatMap { $0.isEmpty ? nil : $0 } ?? location.context
        let exten = target.exten.flatMap { $0.isEmpty ? nil : $0 } ?? location.exten
        switch target.priority {
        case .number(let number):
            return DialplanLocation(context: context, exten: exten, priority: number)
        case .relative(let offset):
            let (priority, overflow) = location.priority.addingReportingOverflow(offset)
            return overflow ? nil : DialplanLocation(context: context, exten: exten, priority: priority)
        case .label(let label):
            guard let number = dialplan.findLabel(context: context, exten: exten, label: label) else { return nil }
            return DialplanLocation(context: context, exten: exten, priority: number)
        }
    }

    private mutating func finish(_ reason: DialplanHangupReason) -> DialplanStep {
        state = .finished(reason)
        return .hangup(reason)
    }
}
