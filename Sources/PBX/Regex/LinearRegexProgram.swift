/// A compiled `LinearRegex`: Thompson-NFA instructions, run as a Pike VM (Russ Cox, "Regular
/// Expression Matching: the Virtual Machine Approach"). No state is visited twice per subject
/// position, so a search costs at most `(subject length + 1) × instructions.count` steps.
struct LinearRegexProgram: Sendable {
    enum Instruction: Sendable, Equatable {
        case byte(UInt8)
        case any
        case set(LinearRegexByteSet)
        /// Continue at both targets.
        case split(Int, Int)
        case jump(Int)
        /// `^`: only at the start of the subject.
        case lineStart
        /// `$`: only at the end of the subject.
        case lineEnd
        /// Records the position as the start (0) or end (1) of group 1.
        case save(Int)
        case match
    }

    private(set) var instructions: [Instruction] = []
    private let maximumSize: Int

    init(_ node: LinearRegexNode, maximumSize: Int) throws(LinearRegex.CompileError) {
        self.maximumSize = maximumSize
        try emit(node)
        try append(.match)
    }

    // MARK: - Compiling

    private mutating func append(_ instruction: Instruction) throws(LinearRegex.CompileError) {
        guard instructions.count < maximumSize else {
            throw LinearRegex.CompileError("pattern compiles to more than \(maximumSize) instructions")
        }
        instructions.append(instruction)
    }

    private mutating func emit(_ node: LinearRegexNode) throws(LinearRegex.CompileError) {
        switch node {
        case .empty: break
        case .byte(let byte): try append(.byte(byte))
        case .any: try append(.any)
        case .set(let set): try append(.set(set))
        case .lineStart: try append(.lineStart)
        case .lineEnd: try append(.lineEnd)
        case .concatenation(let nodes):
            for inner in nodes { try emit(inner) }
        case .alternation(let branches):
            var jumpsToEnd: [Int] = []
            for (index, branch) in branches.enumerated() {
                if index < branches.count - 1 {
                    let split = instructions.count
                    try append(.split(split + 1, -1))
                    try emit(branch)
                    jumpsToEnd.append(instructions.count)
                    try append(.jump(-1))
                    instructions[split] = .split(split + 1, instructions.count)
                } else {
                    try emit(branch)
                }
            }
            for jump in jumpsToEnd { instructions[jump] = .jump(instructions.count) }
        case .group(let number, let inner):
            // Only group 1 is reported (what Asterisk's expression operators return).
            if number == 1 { try append(.save(0)) }
            try emit(inner)
            if number == 1 { try append(.save(1)) }
        case .repetition(let inner, let minimum, let maximum):
            try emitRepetition(inner, minimum: minimum, maximum: maximum)
        }
    }

    private mutating func emitRepetition(_ inner: LinearRegexNode, minimum: Int, maximum: Int?) throws(LinearRegex.CompileError) {
        guard let maximum else {
            if minimum == 0 {
                // L: split(L+1, out); inner; jump L; out:
                let loop = instructions.count
                try append(.split(loop + 1, -1))
                try emit(inner)
                try append(.jump(loop))
                instructions[loop] = .split(loop + 1, instructions.count)
            } else {
                for _ in 0..<(minimum - 1) { try emit(inner) }
                // L: inner; split(L, out); out:
                let loop = instructions.count
                try emit(inner)
                try append(.split(loop, instructions.count + 1))
            }
            return
        }
        for _ in 0..<minimum { try emit(inner) }
        var splits: [Int] = []
        for _ in minimum..<maximum {
            splits.append(instructions.count)
            try append(.split(instructions.count + 1, -1))
            try emit(inner)
        }
        for split in splits { instructions[split] = .split(split + 1, instructions.count) }
    }

    // MARK: - Matching

    /// True when the program matches anywhere in `subject`.
    func search(_ subject: UnsafeBufferPointer<UInt8>) -> Bool {
        var current = StateSet(capacity: instructions.count)
        var next = StateSet(capacity: instructions.count)
        var stack: [Int] = []
        stack.reserveCapacity(instructions.count)
        for position in 0...subject.count {
            // A new thread starts at every position: the search is unanchored unless `^` says otherwise.
            if addThread(0, at: position, of: subject.count, to: &current, stack: &stack) { return true }
            if position == subject.count { break }
            let byte = subject[position]
            next.removeAll()
            for index in 0..<current.count {
                let pc = current[index]
                let advances: Bool
                switch instructions[pc] {
                case .byte(let expected): advances = expected == byte
                case .any: advances = true
                case .set(let set): advances = set.contains(byte)
                case .split, .jump, .lineStart, .lineEnd, .save, .match: advances = false
                }
                if advances, addThread(pc + 1, at: position + 1, of: subject.count, to: &next, stack: &stack) { return true }
            }
            swap(&current, &next)
        }
        return false
    }

    /// Adds `pc` and every state reachable from it without consuming input; true on reaching `match`.
    private func addThread(_ pc: Int, at position: Int, of length: Int, to set: inout StateSet, stack: inout [Int]) -> Bool {
        stack.append(pc)
        while let pc = stack.popLast() {
            guard set.insert(pc) else { continue }
            switch instructions[pc] {
            case .jump(let target): stack.append(target)
            case .split(let first, let second):
                stack.append(second)
                stack.append(first)
            case .save: stack.append(pc + 1)
            case .lineStart: if position == 0 { stack.append(pc + 1) }
            case .lineEnd: if position == length { stack.append(pc + 1) }
            case .match:
                stack.removeAll(keepingCapacity: true)
                return true
            case .byte, .any, .set: break
            }
        }
        return false
    }

    /// A sparse set of program counters with O(1) insert, membership and clear.
    private struct StateSet {
        private var dense: [Int]
        private var sparse: [Int]
        private(set) var count = 0

        init(capacity: Int) {
            dense = Array(repeating: 0, count: capacity)
            sparse = Array(repeating: 0, count: capacity)
        }

        subscript(index: Int) -> Int { dense[index] }

        /// Inserts `value`; false when it was already there.
        mutating func insert(_ value: Int) -> Bool {
            let slot = sparse[value]
            if slot < count, dense[slot] == value { return false }
            sparse[value] = count
            dense[count] = value
            count += 1
            return true
        }

        mutating func removeAll() { count = 0 }
    }
}
