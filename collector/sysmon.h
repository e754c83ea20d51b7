/* Sysmon for Linux events -> records of Sigma categories.
 *
 * Sysmon for Linux writes each event as one XML document on one line, through syslog
 * (program "sysmon") or the journal:
 *     <Event><System><Provider Name="Linux-Sysmon" .../><EventID>1</EventID>...
 *     <Computer>HOST</Computer>...</System><EventData><Data Name="Image">/usr/bin/id</Data>
 *     ...</EventData></Event>
 * collector_sysmon_decode() recognises such a message (an <Event> with a Linux-Sysmon
 * provider), adds every <Data Name="N">V</Data> as field N (entities &amp; &lt; &gt;
 * &quot; &apos; decoded; an empty <Data Name="N"/> is an empty value), EventID and
 * Computer, and flags the record with its category: EventID 1 EV_REC_PROCESS_CREATION, 3
 * EV_REC_NETWORK_CONNECTION, 11 EV_REC_FILE_EVENT (other events keep their fields and
 * get no category). The field names are Sysmon's, which SigmaHQ's Linux rules use. The
 * record's time, host and program stay those of the syslog line or journal entry. At most
 * SYSMON_FIELDS_MAX fields are added (EV_REC_TRUNCATED past that). */
#pragma once
#include "collector/record.h"

#define SYSMON_FIELDS_MAX 64

/* Returns 1 decoded, 0 not a Sysmon event (rec unchanged), -ENOMEM (rec may hold some of
 * the fields). */
int collector_sysmon_decode(struct ev_record *rec);
