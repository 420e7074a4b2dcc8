# shellcheck shell=sh
# Slurm's job states, as `sq` gives them (STATE:REASON). These two lists are the only ones:
# p's Swift side reads them from this file (SchedulerFacts), so a state is alive, or
# waiting, to both sides alike, and a state on neither list has ended.

# slurm_live STATE: whether a Slurm job in STATE has not ended.
slurm_live() {
	case ${1%%:*} in
	PENDING | CONFIGURING | RUNNING | COMPLETING | SUSPENDED | REQUEUED | REQUEUE_HOLD | REQUEUE_FED | RESIZING | SIGNALING | STAGE_OUT | STOPPED | RESV_DEL_HOLD) return 0 ;;
	esac
	return 1
}

# slurm_waiting STATE: whether a Slurm job in STATE waits to start (p shows it queued).
slurm_waiting() {
	case ${1%%:*} in
	PENDING | CONFIGURING | REQUEUED | REQUEUE_HOLD | REQUEUE_FED | RESV_DEL_HOLD) return 0 ;;
	esac
	return 1
}
