"""A queue created together with its dead-letter queue, and its worker consumer.

Cloudflare attaches the DLQ to the consumer, not to the queue, so the component owns both
queues and wires the DLQ's name into the consumer it adds.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_cloudflare as cloudflare

from components.safety import UNGUARDED, DataSafety


@dataclass(frozen=True)
class ConsumerSettings:
    batch_size: int = 10
    """Messages per batch (1..100)."""
    max_retries: int = 3
    """Deliveries before a message moves to the dead-letter queue (0..100)."""
    retry_delay_seconds: int = 0
    """Delay before a failed message is offered again."""
    max_wait_time_ms: int = 5_000
    """How long to wait for a batch to fill (0..60000)."""
    max_concurrency: int | None = None
    """Concurrent consumer invocations; None lets Cloudflare scale to its maximum."""


@dataclass(frozen=True)
class QueueWithDeadLetterArgs:
    account_id: pulumi.Input[str]
    """Cloudflare account id."""
    queue_name: str
    """Name of the queue producers send to."""
    dead_letter_queue_name: str
    """Name of the queue that keeps messages whose retries ran out."""
    safety: DataSafety = UNGUARDED
    """Protect / retain both queues (they hold undelivered messages)."""


class QueueWithDeadLetter(pulumi.ComponentResource):
    queue_id: pulumi.Output[str]
    dead_letter_queue_id: pulumi.Output[str]
    queue_name: str
    dead_letter_queue_name: str
    queue_name_output: pulumi.Output[str]
    dead_letter_queue_name_output: pulumi.Output[str]

    def __init__(
        self, name: str, args: QueueWithDeadLetterArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("edge:cloudflare:QueueWithDeadLetter", name, None, opts)
        if args.dead_letter_queue_name == args.queue_name:
            raise ValueError(f"queue '{args.queue_name}' cannot be its own dead-letter queue")
        self._name = name
        self._account_id = args.account_id
        self.queue_name = args.queue_name
        self.dead_letter_queue_name = args.dead_letter_queue_name
        queue = cloudflare.Queue(
            name,
            account_id=args.account_id,
            queue_name=args.queue_name,
            opts=args.safety.options(self),
        )
        dead_letter = cloudflare.Queue(
            f"{name}-dlq",
            account_id=args.account_id,
            queue_name=args.dead_letter_queue_name,
            opts=args.safety.options(self),
        )
        self.queue_id = queue.queue_id
        self.dead_letter_queue_id = dead_letter.queue_id
        # Outputs of the same names, for producer bindings: they make the worker wait for the queue.
        self.queue_name_output = queue.queue_name
        self.dead_letter_queue_name_output = dead_letter.queue_name
        self._queue = queue
        self._dead_letter = dead_letter
        self.register_outputs(
            {"queue_id": self.queue_id, "dead_letter_queue_id": self.dead_letter_queue_id}
        )

    def add_consumer(
        self, script_name: pulumi.Input[str], settings: ConsumerSettings
    ) -> cloudflare.QueueConsumer:
        """Attach a worker as the queue's consumer; failed messages go to the DLQ.

        Pass the consuming worker's `script_name` output so the consumer waits for the script.
        """
        return cloudflare.QueueConsumer(
            f"{self._name}-consumer",
            account_id=self._account_id,
            queue_id=self.queue_id,
            type="worker",
            script_name=script_name,
            dead_letter_queue=self.dead_letter_queue_name,
            settings=cloudflare.QueueConsumerSettingsArgs(
                batch_size=settings.batch_size,
                max_retries=settings.max_retries,
                retry_delay=settings.retry_delay_seconds,
                max_wait_time_ms=settings.max_wait_time_ms,
                max_concurrency=settings.max_concurrency,
            ),
            # The DLQ must exist before a consumer can name it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self._dead_letter]),
        )
