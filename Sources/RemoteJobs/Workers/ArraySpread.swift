/// How a job array's elements are spread over the workers that answered: in proportion to
/// what each can run at once, filling the idle ones first, and how the array's cap (`%N`) is
/// shared among them.
///
/// The spread is decided once, at submission, so the elements then need no client: each
/// worker's queue starts its share as its slots (and its share of the cap) allow. A worker
/// that is slower than the others is not relieved by the faster ones; `--retry` with a label
/// moves the elements of a worker that is lost.
public struct ArraySpread: Sendable, Equatable {
    /// One worker's share.
    public struct Share: Sendable, Equatable {
        /// The worker's name.
        public var worker: String
        /// The positions in the array's elements (from 0) it runs, in order.
        public var elements: [Int]
        /// The most of them it runs at once; nil when its slots limit them to no more.
        public var cap: Int?
    }

    /// The shares, in the order of the workers given; workers given nothing are left out.
    public var shares: [Share]

    /// What a worker can run at once, for the spread: its slots, else its CPUs; at least 1.
    static func capacity(_ worker: Worker, _ load: WorkerLoad) -> Int {
        max(1, worker.slots ?? load.cpus)
    }

    /// Spreads `count` elements over `workers` (in the order of preference) under `cap`.
    /// No worker runs more of them at once than its slots, or its CPUs when it has none.
    ///
    /// Each worker has a capacity (`capacity`) less what it already runs and queues. The
    /// cap, if any, is shared first: one unit at a time to the worker whose share is the
    /// smallest part of its capacity, so a cap of 4 over four workers is one each and a cap
    /// under the number of workers leaves the last ones out. The elements then go one at a
    /// time to the worker that would finish its share soonest: the fewest elements (its
    /// jobs already there counted) per unit of what it runs at once (its share of the cap,
    /// or its capacity). Ties go to the earlier worker.
    public static func spread(count: Int, over workers: [(worker: Worker, load: WorkerLoad)], cap: Int?) -> ArraySpread
    {
        guard count > 0, !workers.isEmpty else { return ArraySpread(shares: []) }
        let capacity = workers.map { Self.capacity($0.worker, $0.load) }
        var width = capacity
        if let cap {
            var given = Array(repeating: 0, count: workers.count)
            for _ in 0..<min(cap, capacity.reduce(0, +)) {
                let next = workers.indices.min { a, b in
                    Double(given[a]) / Double(capacity[a]) < Double(given[b]) / Double(capacity[b])
                }!
                given[next] += 1
            }
            width = given
        }
        // A worker without slots would start its whole share at once: it gets as many at
        // once as it has CPUs (as GNU parallel runs one job per CPU).
        var capShare: [Int?] = []
        for index in workers.indices {
            let limited = width[index] < capacity[index] || workers[index].worker.slots == nil
            capShare.append(limited ? width[index] : nil)
        }
        var assigned = workers.map { $0.load.runningJobs + $0.load.queuedJobs }
        var elements = Array(repeating: [Int](), count: workers.count)
        for element in 0..<count {
            guard
                let next = workers.indices.filter({ width[$0] > 0 }).min(by: { a, b in
                    Double(assigned[a] + 1) / Double(width[a]) < Double(assigned[b] + 1) / Double(width[b])
                })
            else { break }
            assigned[next] += 1
            elements[next].append(element)
        }
        return ArraySpread(
            shares: workers.indices.filter { !elements[$0].isEmpty }.map {
                Share(worker: workers[$0].worker.name, elements: elements[$0], cap: capShare[$0])
            })
    }
}
