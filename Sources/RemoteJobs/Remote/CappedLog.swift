/// `--max-log`: a job's log that keeps its beginning and its end within a cap, on the
/// worker, with every offset still counting every byte the command wrote.
///
/// The log stays one file the command appends to; what is dropped is freed in place with
/// `fallocate --punch-hole`, so the file's size (and every offset) goes on growing while its
/// blocks on disk stay about the cap. The first half of the cap (in whole 4 KB blocks) is
/// kept for good; once the log has grown past the cap by a quarter more, the capper drops
/// everything between that head and the last half of the cap, and again each time the
/// log has grown another quarter past it, so the disk holds at most about 1.25 times the
/// cap, plus what the job writes in the capper's 50-200 ms between looks. The dropped range
/// is in `<log>.gap` (`from to`; one range, whose end only grows), which the capper writes
/// before it punches (the capper is in `Worker/run.sh`, the launch's check that the
/// worker can punch holes in `Worker/lib/job-files.sh`): readers (`Worker/lib/log.sh`) skip the range and say so
/// once (`LogGap`), and never send a hole's zeros.
enum CappedLog {
    /// The least cap `--max-log` takes: below it the head and tail would be a few blocks.
    static let smallestCap: UInt64 = 64 << 10
}
