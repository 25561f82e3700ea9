"""Backups, restores and the integrity check an operator runs by hand (`storesync backup`,
`restore`, `verify`): the playbook's recovery procedures as flows, no endpoints, no tasks."""
