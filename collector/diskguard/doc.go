// Package diskguard is a collector storage extension (type
// "queue_disk_guard") in front of another storage extension (file_storage)
// that keeps an exporter's persistent queue from dropping what it holds
// when the disk fills.
//
// The queue reads an item back in one storage batch that also saves its
// read position. On a full disk that save fails, and the queue then drops
// the item it had accepted and stored, logging it only at debug level: the
// spans are lost, and nothing counts them. The guard retries such a batch's
// reads alone, which need no space, and hands the item to the queue: it is
// sent, and the position is saved with the queue's next write (it writes
// the whole of it each time). Until then a restart would send the item
// again: a duplicate, not a loss. Each such save put off is counted
// (otelcol_queue_disk_guard_saves_put_off) and logged at warn, at most
// every 10 s, with the count; an item that cannot be read back either (an
// unreadable disk) is counted as lost (otelcol_queue_disk_guard_items_lost)
// and logged at error. New items that do not fit are refused by the queue
// itself: otelcol_exporter_enqueue_failed_spans, and an error line
// "Exporting failed. Rejecting data." with rejected_items.
//
//	extensions:
//	  file_storage:
//	    directory: ./queue
//	  queue_disk_guard:
//	    storage: file_storage
//	exporters:
//	  otlp_grpc:
//	    sending_queue:
//	      storage: queue_disk_guard
//	service:
//	  extensions: [file_storage, queue_disk_guard]
package diskguard
